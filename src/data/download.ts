/**
 * Downloading with node's own http/https (no dependency), following redirects, streaming to a
 * temporary file while hashing, and moving the file into place only after its SHA-256 checks
 * out, so that an interrupted or corrupt download never leaves a file that looks valid.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { createHash } from 'crypto';
import { Transform } from 'stream';
import { pipeline } from 'stream/promises';
import { ensureDir } from '../io/files';
import { ambientSignal, InterruptedError } from '../interrupt';
import { checkSha256 } from './checksum';
import { UserError } from '../errors';

/** Options of {@link downloadFile}. */
export interface DownloadOptions {
  /** Accepted SHA-256 digest(s) of the downloaded bytes; checked before the file is moved into place. */
  sha256?: string | readonly string[];
  /**
   * Custom check run on the temporary file before it is moved into place (after the digest is
   * known); throw to reject the download. Used instead of `sha256` when given.
   */
  verify?: (tempPath: string, actualSha256: string) => Promise<void> | void;
  /** Give up when no data arrives for this long (ms). Default 30000. */
  timeoutMs?: number;
  /** Maximum number of HTTP redirects to follow. Default 5. */
  maxRedirects?: number;
  /**
   * Stops the download (the partial file is removed). Default: the ambient signal, so that an
   * interrupted notebook cell does not keep downloading in the background.
   */
  signal?: AbortSignal;
}

/** What {@link downloadFile} produced. */
export interface DownloadResult {
  /** Where the file now is. */
  path: string;
  /** SHA-256 of its bytes. */
  sha256: string;
  /** Its size in bytes. */
  bytes: number;
}

function get(url: URL, timeoutMs: number, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!client) return Promise.reject(new Error(`Cannot download ${url.href}: only http and https URLs are supported.`));
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers: { 'user-agent': 'prunelab' }, signal }, resolve);
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no response from ${url.host} within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/**
 * Downloads `url` to `destPath`, verifying the SHA-256 before the file appears at `destPath`.
 * The directory of `destPath` is created when needed; an existing file there is replaced.
 *
 * @param url an http or https URL.
 * @param destPath where the file should end up.
 * @param options expected digest(s) or a custom check, timeout, redirect limit.
 * @returns the final path, digest and size.
 * @throws on network errors, HTTP errors, truncated transfers or a checksum mismatch (the
 *   temporary file is removed in every case).
 */
export async function downloadFile(url: string, destPath: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const timeoutMs = options.timeoutMs ?? 30000;
  const maxRedirects = options.maxRedirects ?? 5;
  const signal = options.signal ?? ambientSignal();
  // Created before the request so that no await separates the response from its listeners
  // (events of a connection that dies early would otherwise be missed).
  // Not fs.mkdir({ recursive }): that loops forever on file systems such as /proc (see io/files).
  ensureDir(path.dirname(path.resolve(destPath)), `the download ${path.resolve(destPath)}`);
  let current = new URL(url);
  let res: http.IncomingMessage;
  for (let redirects = 0; ; redirects++) {
    try {
      res = await get(current, timeoutMs, signal);
    } catch (err) {
      throw signal?.aborted ? interrupted(current.href, 0) : err;
    }
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume(); // discard the body so the socket is released
      if (redirects >= maxRedirects) throw new UserError(`Cannot download ${url}: more than ${maxRedirects} redirects.`);
      current = new URL(res.headers.location, current);
      continue;
    }
    if (status !== 200) {
      res.resume();
      throw new UserError(`Cannot download ${current.href}: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
    }
    break;
  }

  const tempPath = `${destPath}.part-${process.pid}-${Date.now()}`;
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    res.setTimeout(timeoutMs, () => res.destroy(new Error(`download of ${current.href} stalled for ${timeoutMs} ms`)));
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    // pipeline reports a connection closed before the end of the body (premature close).
    await pipeline(res, counter, fs.createWriteStream(tempPath), { signal });
    const declared = Number(res.headers['content-length']);
    if (!res.complete || (Number.isFinite(declared) && declared !== bytes)) {
      throw new UserError(`Truncated download of ${current.href}: expected ${declared} bytes, received ${bytes}.`);
    }
    const sha256 = hash.digest('hex');
    if (options.verify) await options.verify(tempPath, sha256);
    else if (options.sha256) checkSha256(`${destPath} (downloaded from ${current.href})`, sha256, options.sha256);
    await fs.promises.rename(tempPath, destPath);
    return { path: destPath, sha256, bytes };
  } catch (err) {
    res.destroy();
    await fs.promises.rm(tempPath, { force: true });
    if (signal?.aborted) throw interrupted(current.href, bytes);
    const msg = (err as Error).message;
    if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE' || /aborted/.test(msg)) {
      throw new UserError(`Truncated download of ${current.href}: the connection closed after ${bytes} bytes (${msg}).`);
    }
    throw err;
  }
}

/** The error of a download stopped by its signal (the partial file is already removed). */
function interrupted(url: string, bytes: number): InterruptedError {
  return new InterruptedError(`download of ${url} interrupted after ${bytes} bytes; nothing was saved.`);
}
