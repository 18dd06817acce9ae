/**
 * The browser edition's files: the same synchronous helpers as `./files` over a file store that
 * lives in the page's memory and is persisted to the browser's IndexedDB (database
 * `prunelab-files`), so that `saveMasks(net, 'masks/a.json')` and `loadMasks` work in a notebook
 * and survive a reload of the page. The kernel loads the store when it starts
 * ({@link openBrowserFiles}); writes go to memory at once and to IndexedDB in the background.
 * Paths are POSIX paths relative to `/` (the kernel's working directory is `/`).
 */
import { UserError } from '../errors';

const DB_NAME = 'prunelab-files';
const STORE = 'files';

const files = new Map<string, Uint8Array>();
let db: IDBDatabase | undefined;
let persistError: string | undefined;

/** `a/./b/../c` → `/a/c`: absolute, normalised, like path.resolve against `/`. */
export function browserPath(file: string): string {
  const parts: string[] = [];
  for (const p of file.split('/')) {
    if (!p || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * Opens the IndexedDB store and loads every saved file into memory. Without IndexedDB (private
 * windows of some browsers) files live until the page closes, and {@link browserFilesStatus} says so.
 */
export async function openBrowserFiles(): Promise<void> {
  if (typeof indexedDB === 'undefined') {
    persistError = 'this browser gives the kernel no IndexedDB';
    return;
  }
  try {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    db = await request(open);
    const tx = db.transaction(STORE, 'readonly').objectStore(STORE);
    const [keys, values] = await Promise.all([request(tx.getAllKeys()), request(tx.getAll())]);
    keys.forEach((k, i) => files.set(String(k), new Uint8Array(values[i] as ArrayBuffer)));
  } catch (e) {
    persistError = `IndexedDB failed: ${(e as Error)?.message ?? String(e)}`;
    db = undefined;
  }
}

/** Where files are kept, for the kernel's messages. */
export function browserFilesStatus(): string {
  return db ? `${files.size} file(s) in the browser's IndexedDB (${DB_NAME})` : `${files.size} file(s) in memory only (${persistError ?? 'not opened'})`;
}

function persist(file: string, bytes: Uint8Array | undefined): void {
  if (!db) return;
  const store = db.transaction(STORE, 'readwrite').objectStore(STORE);
  const copy = bytes ? bytes.slice().buffer : undefined;
  const r = copy ? store.put(copy, file) : store.delete(file);
  r.onerror = () => {
    persistError = `saving ${file} to IndexedDB failed: ${r.error?.message ?? 'unknown error'}`;
  };
}

function isDirectory(p: string): boolean {
  const prefix = p === '/' ? '/' : `${p}/`;
  for (const k of files.keys()) if (k.startsWith(prefix)) return true;
  return false;
}

/** Directories exist implicitly (as prefixes of files); only a file in the way is an error. */
export function ensureDir(dir: string, purpose?: string): void {
  const target = browserPath(dir);
  for (let cur = target; cur !== '/'; cur = cur.slice(0, cur.lastIndexOf('/')) || '/') {
    if (files.has(cur)) throw new UserError(`Cannot create directory ${target}${purpose ? ` for ${purpose}` : ''}: ${cur} is a file, not a directory.`);
  }
}

/** Saves `data` as `file` (replacing it whole). */
export function writeFileAtomic(file: string, data: string | Uint8Array, what = 'file'): void {
  const target = browserPath(file);
  if (target === '/' || isDirectory(target)) throw new UserError(`Cannot save the ${what} ${target}: it is a directory; give a file name.`);
  ensureDir(target.slice(0, target.lastIndexOf('/')) || '/', `the ${what} ${target}`);
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data.slice();
  files.set(target, bytes);
  persist(target, bytes);
}

/** The bytes of a saved file. @throws UserError naming the file when it is missing or a directory. */
export function readRegularFile(file: string, what = 'file'): Uint8Array {
  const target = browserPath(file);
  const bytes = files.get(target);
  if (bytes) return bytes.slice();
  if (isDirectory(target)) throw new UserError(`Cannot read the ${what} ${target}: it is a directory.`);
  const here = [...files.keys()].slice(0, 10);
  throw new UserError(`Cannot read the ${what} ${target}: no such file in the browser's storage.${here.length ? ` Saved files: ${here.join(', ')}.` : ' Nothing has been saved in this browser yet.'}`);
}

/** A saved file parsed as JSON. @throws UserError naming the file for a missing file or bad JSON. */
export function readJsonFile(file: string, what = 'JSON file'): unknown {
  const text = new TextDecoder().decode(readRegularFile(file, what));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new UserError(`Cannot read the ${what} ${browserPath(file)}: invalid JSON (${(e as Error).message}).`);
  }
}

/** True when `file` was saved (or is a directory of saved files). */
export function fileExists(file: string): boolean {
  const target = browserPath(file);
  return files.has(target) || isDirectory(target);
}

/** Names of the saved files under `dir` (default: all). */
export function listBrowserFiles(dir = '/'): string[] {
  const prefix = browserPath(dir) === '/' ? '/' : `${browserPath(dir)}/`;
  return [...files.keys()].filter((k) => k.startsWith(prefix)).sort();
}

/** Deletes a saved file; false when there was none. */
export function removeBrowserFile(file: string): boolean {
  const target = browserPath(file);
  const had = files.delete(target);
  if (had) persist(target, undefined);
  return had;
}
