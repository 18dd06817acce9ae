/**
 * Error types of the data module. Each message names the file or dataset, what was expected,
 * what was found and how to fix it; the classes let callers (and tests) tell the cases apart.
 * All are user errors (a wrong name, missing or corrupt files: the message says how to fix it).
 */
import { closeMatches, didYouMean } from '../close-matches';
import { UnknownNameError, UserError } from '../errors';

/** A file that is not a well-formed IDX file (bad magic, unknown type, wrong size, bad gzip). */
export class IdxFormatError extends UserError {
  /**
   * @param file the file (or buffer description) being read.
   * @param message what was expected and what was found.
   */
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'IdxFormatError';
  }
}

/** A file whose SHA-256 is not one of those its manifest (or caller) accepts. */
export class ChecksumMismatchError extends UserError {
  /**
   * @param file the file that failed the check.
   * @param expected the accepted SHA-256 digests (lower-case hex).
   * @param actual the digest found.
   * @param detail extra explanation (appended to the message).
   */
  constructor(
    readonly file: string,
    readonly expected: readonly string[],
    readonly actual: string,
    detail = '',
  ) {
    super(
      `Checksum mismatch for ${file}: expected SHA-256 ${expected.join(' or ')}, found ${actual}.` +
        (detail ? ` ${detail}` : ''),
    );
    this.name = 'ChecksumMismatchError';
  }
}

/** `loadDataset` with a name nobody registered. */
export class UnknownDatasetError extends UnknownNameError {
  /**
   * @param requested the name asked for.
   * @param known the registered names.
   */
  constructor(
    readonly requested: string,
    known: readonly string[],
  ) {
    super(
      'dataset',
      requested,
      known,
      `Unknown dataset '${requested}'. Known datasets: ${known.join(', ')}.${didYouMean(closeMatches(requested, known))} ` +
        `Register a new one with registerDataset(name, loader).`,
    );
    this.name = 'UnknownDatasetError';
  }
}

/** A dataset whose files were found nowhere (and could not be downloaded). */
export class DatasetNotFoundError extends UserError {
  /**
   * @param dataset the dataset's registry name.
   * @param searched every place looked at, with what was found there.
   * @param message the full explanation, including how to get the files.
   */
  constructor(
    readonly dataset: string,
    readonly searched: readonly string[],
    message: string,
  ) {
    super(message);
    this.name = 'DatasetNotFoundError';
  }
}
