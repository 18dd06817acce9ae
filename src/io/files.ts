/**
 * File-system helpers for everything prunelab saves and loads (masks, models, sparse matrices,
 * downloads): they never hang and every error names the path and what is wrong with it.
 *
 * Why not `fs.mkdirSync(dir, { recursive: true })`: on file systems that refuse new entries with
 * ENOENT (procfs, e.g. `/proc/nope`), Node's recursive mkdir takes ENOENT to mean "the parent is
 * missing", creates the parent (which exists), and retries forever, in synchronous code that no
 * interrupt can stop. {@link ensureDir} walks up once and creates each missing level once.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../errors';

/** What a failed system call means for the user, by error code. */
function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'EISDIR':
      return 'it is a directory';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    case 'ENOENT':
      return 'no such file or directory';
    default:
      return e?.message ?? String(err);
  }
}

/**
 * Creates `dir` and any missing parents, like `mkdir -p`, in a bounded number of steps.
 *
 * @param dir the directory to create (nothing happens when it exists).
 * @param purpose what the directory is for, for the error message (e.g. `the mask file /a/b.json`).
 * @throws Error naming the directory that could not be created and why: a file in the way, no
 *   permission, a read-only or special file system such as /proc.
 */
export function ensureDir(dir: string, purpose?: string): void {
  const target = path.resolve(dir);
  const forWhat = purpose ? ` for ${purpose}` : '';
  const missing: string[] = [];
  for (let cur = target; ; cur = path.dirname(cur)) {
    let stat: fs.Stats | undefined;
    try {
      stat = fs.statSync(cur);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: an ancestor is a file; the walk reaches it and reports it below.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new UserError(`Cannot create directory ${target}${forWhat}: cannot inspect ${cur}: ${reason(err)}.`);
    }
    if (stat) {
      if (!stat.isDirectory()) throw new UserError(`Cannot create directory ${target}${forWhat}: ${cur} is a file, not a directory.`);
      break;
    }
    missing.push(cur);
    if (path.dirname(cur) === cur) break; // the root itself is missing: mkdir below reports it
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && fs.statSync(d).isDirectory()) continue; // made concurrently
      const why =
        code === 'ENOENT'
          ? `the file system of ${path.dirname(d)} refuses new entries (e.g. /proc or /sys); choose a path on a regular disk`
          : reason(err);
      throw new UserError(`Cannot create directory ${d}${forWhat}: ${why}.`);
    }
  }
}

/**
 * Writes `data` to `file` through a temporary file in the same directory and a rename, after
 * creating the directory: readers never see a half-written file, a failed write leaves the old
 * file as it was, and a FIFO or device at `file` is replaced instead of blocking on open.
 *
 * @param file destination path.
 * @param data the bytes or text.
 * @param what what the file is, for errors (e.g. `mask file`).
 * @throws Error naming `file` and the reason.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, what = 'file'): void {
  const target = path.resolve(file);
  ensureDir(path.dirname(target), `the ${what} ${target}`);
  let existing: fs.Stats | undefined;
  try {
    existing = fs.statSync(target);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new UserError(`Cannot save the ${what} ${target}: it is a directory; give a file name.`);
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    // The directory exists (ensureDir), so ENOENT means it takes no new files (procfs, sysfs).
    const why = code === 'ENOENT' ? `the file system of ${path.dirname(target)} refuses new files (e.g. /proc or /sys)` : reason(err);
    throw new UserError(`Cannot save the ${what} ${target}: ${why}.`);
  }
}

/**
 * Reads a regular file whole, with errors that name it: missing, a directory, not a regular
 * file (a FIFO would block), unreadable.
 *
 * @param file the path.
 * @param what what the file should be, for errors (e.g. `mask file`).
 */
export function readRegularFile(file: string, what = 'file'): Buffer {
  const target = path.resolve(file);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (err) {
    throw new UserError(`Cannot read the ${what} ${target}: ${reason(err)}.`);
  }
  if (stat.isDirectory()) throw new UserError(`Cannot read the ${what} ${target}: it is a directory, not a file.`);
  if (!stat.isFile()) throw new UserError(`Cannot read the ${what} ${target}: it is not a regular file.`);
  try {
    return fs.readFileSync(target);
  } catch (err) {
    throw new UserError(`Cannot read the ${what} ${target}: ${reason(err)}.`);
  }
}

/**
 * Reads and parses a JSON file, saying which file is empty, truncated or not JSON.
 *
 * @param file the path.
 * @param what what the file should be, for errors (e.g. `mask file`).
 * @returns the parsed value (not validated: the caller checks its shape).
 */
export function readJsonFile(file: string, what = 'JSON file'): unknown {
  const text = readRegularFile(file, what).toString('utf8');
  const target = path.resolve(file);
  if (text.trim() === '') throw new UserError(`Cannot read the ${what} ${target}: it is empty (an interrupted save?).`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UserError(`Cannot read the ${what} ${target}: it is not valid JSON (${(err as Error).message}); the file is truncated, or is not a ${what}.`);
  }
}

/** True when `file` exists (a file or a directory). */
export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}
