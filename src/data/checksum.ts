/**
 * SHA-256 helpers. Every dataset file is checked against the digests of its manifest before
 * use, so a truncated download, a corrupt cache or the wrong dataset in a directory is caught
 * with a message naming the file and both digests.
 */
import { createHash } from 'crypto';
import { createReadStream } from 'fs';
import { ChecksumMismatchError } from './errors';
import { OptionError } from '../errors';

/** SHA-256 of bytes in memory, lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * SHA-256 of a file, streamed (constant memory), lower-case hex.
 * @param filePath the file.
 */
export function sha256File(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(filePath)
      .on('error', reject)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Normalises a digest for comparison (trims, lower-cases) and checks it is 64 hex digits. */
export function normalizeSha256(digest: string): string {
  const d = digest.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(d)) throw new OptionError(`Not a SHA-256 digest (64 hex digits): '${digest}'.`);
  return d;
}

/**
 * Throws unless `actual` is one of `expected`.
 *
 * @param file the file the digest belongs to (named in the error).
 * @param actual the digest found.
 * @param expected accepted digests.
 * @param hint what to do about a mismatch (appended to the message).
 * @throws ChecksumMismatchError naming the file, the expected and the actual digest.
 */
export function checkSha256(file: string, actual: string, expected: string | readonly string[], hint?: string): void {
  const accepted = (typeof expected === 'string' ? [expected] : expected).map(normalizeSha256);
  if (!accepted.includes(actual.toLowerCase())) {
    throw new ChecksumMismatchError(
      file,
      accepted,
      actual.toLowerCase(),
      hint ?? 'The file is corrupt or not the expected one: delete it and fetch it again.',
    );
  }
}

/**
 * Computes a file's SHA-256 and checks it.
 *
 * @param filePath the file.
 * @param expected accepted digest(s).
 * @returns the digest.
 * @throws ChecksumMismatchError on mismatch.
 */
export async function verifyFileSha256(filePath: string, expected: string | readonly string[]): Promise<string> {
  const actual = await sha256File(filePath);
  checkSha256(filePath, actual, expected);
  return actual;
}
