/**
 * Dataset manifests as data: their types, the four file roles and validation. No file system:
 * shared by the Node reader (`./manifest`) and the browser edition, which fetches manifests.
 */
import { UserError } from '../errors';

/** One accepted form of a file as stored (publishers and distributions compress differently). */
export interface ManifestFileVariant {
  /** SHA-256 of the stored (usually gzip) file, lower-case hex. */
  sha256: string;
  /** Size of the stored file in bytes, when known. */
  bytes?: number;
  /** Where this variant comes from, e.g. `upstream` or `Debian dataset-fashion-mnist`. */
  source: string;
}

/** One file of an IDX dataset. */
export interface ManifestFile {
  /** Canonical file name, e.g. `train-images-idx3-ubyte.gz`; the name without `.gz` is accepted too (uncompressed). */
  name: string;
  /** Accepted stored forms (fast check: digest of the file as it is on disk). */
  variants: ManifestFileVariant[];
  /**
   * SHA-256 of the uncompressed IDX bytes. A file whose stored digest is not listed (e.g. the
   * same data recompressed by a distribution) is still accepted when its contents match this.
   */
  contentSha256: string;
  /** Size of the uncompressed IDX bytes. */
  contentBytes: number;
  /** Download URLs, tried in order (may be empty for data shipped with prunelab). */
  urls: string[];
}

/** Manifest of an image-classification dataset stored as four IDX files. */
export interface IdxDatasetManifest {
  /** Registry name, e.g. `fashion-mnist`. */
  name: string;
  /** One-line description. */
  description: string;
  /** License of the data, e.g. `MIT`. */
  license: string;
  /** Project page. */
  homepage: string;
  /** How to cite it. */
  citation?: string;
  /** Class names, one per label value. */
  classNames: string[];
  /** Shape of one image as loaded, e.g. `[28, 28, 1]` (the IDX files hold `[count, 28, 28]`). */
  imageShape: number[];
  /** Number of training and test examples. */
  counts: { train: number; test: number };
  /** Debian package that installs the files under `/usr/share/datasets/<name>`, if any. */
  aptPackage?: string;
  /** Whether the files ship with prunelab in `datasets/<name>/`. */
  bundled?: boolean;
  /** Where the digests come from and how they were checked. */
  checksumNotes?: string;
  /** How the files were made, for derived datasets (e.g. the command that generates them). */
  generatedBy?: string;
  /** The four files. */
  files: {
    /** Training images, IDX uint8 `[train, h, w]`. */
    trainImages: ManifestFile;
    /** Training labels, IDX uint8 `[train]`. */
    trainLabels: ManifestFile;
    /** Test images, IDX uint8 `[test, h, w]`. */
    testImages: ManifestFile;
    /** Test labels, IDX uint8 `[test]`. */
    testLabels: ManifestFile;
  };
}

/** Roles of the four files of an IDX dataset, in loading order. */
export const IDX_FILE_ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const;
/** One of {@link IDX_FILE_ROLES}. */
export type IdxFileRole = (typeof IDX_FILE_ROLES)[number];

/** Validates a parsed manifest; `source` names it in the error. */
export function validateManifest(m: IdxDatasetManifest, source: string): IdxDatasetManifest {
  const fail = (what: string) => {
    throw new UserError(`Invalid dataset manifest ${source}: ${what}.`);
  };
  if (!m || typeof m !== 'object') fail('not a JSON object');
  if (typeof m.name !== 'string' || !m.name) fail('missing "name"');
  if (!Array.isArray(m.classNames) || m.classNames.length < 2) fail('"classNames" must list at least 2 classes');
  if (!Array.isArray(m.imageShape) || m.imageShape.length !== 3) fail('"imageShape" must be [height, width, channels]');
  if (!m.counts || !(m.counts.train > 0) || !(m.counts.test > 0)) fail('"counts" must give positive train and test sizes');
  for (const role of IDX_FILE_ROLES) {
    const f = m.files?.[role];
    if (!f) fail(`missing files.${role}`);
    if (typeof f.name !== 'string' || !f.name) fail(`files.${role}.name is missing`);
    if (!/^[0-9a-f]{64}$/.test(f.contentSha256)) fail(`files.${role}.contentSha256 is not a SHA-256 digest`);
    if (!Array.isArray(f.variants)) fail(`files.${role}.variants must be an array`);
    for (const v of f.variants) if (!/^[0-9a-f]{64}$/.test(v.sha256)) fail(`files.${role}.variants has a bad sha256 '${v.sha256}'`);
    if (!Array.isArray(f.urls)) fail(`files.${role}.urls must be an array`);
  }
  return m;
}

/** Validates a manifest given as an object (e.g. by `registerIdxDataset`). */
export function checkManifest(manifest: IdxDatasetManifest): IdxDatasetManifest {
  return validateManifest(manifest, `for '${manifest?.name ?? '?'}'`);
}
