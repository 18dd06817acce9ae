/**
 * Loader for image-classification datasets stored as four IDX files described by a manifest
 * (MNIST, Fashion-MNIST, the bundled tiny set, or any a user registers): searches the places of
 * `locate.ts`, verifies every file's SHA-256, downloads into the cache when allowed, and turns
 * the bytes into {@link Examples} with `featureShape [h, w, c]` and raw values in `[0, 255]`.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ChecksumMismatchError, DatasetNotFoundError, IdxFormatError } from './errors';
import { readIdxFile, type IdxFile } from './idx';
import { downloadFile } from './download';
import { datasetCacheRoot, datasetSearchPlaces, type SearchPlace } from './locate';
import { IDX_FILE_ROLES, packageDatasetsDir, type IdxDatasetManifest, type IdxFileRole, type ManifestFile } from './manifest';
import type { DatasetLoadContext } from './load-options';
import { idxExamples } from './idx-examples';
import type { Dataset } from './types';
import { UserError } from '../errors';

/**
 * Accepts an IDX file when its stored digest is a known variant or, failing that, when its
 * uncompressed contents have the manifest's digest (the same data recompressed elsewhere).
 *
 * @throws ChecksumMismatchError naming the file and both expected and actual digests.
 */
export function verifyIdxFile(file: IdxFile, entry: ManifestFile, datasetName: string): void {
  if (entry.variants.some((v) => v.sha256 === file.fileSha256)) return;
  const content = file.contentSha256();
  if (content === entry.contentSha256) return;
  const expected = file.gzipped ? entry.variants.map((v) => v.sha256) : [entry.contentSha256];
  const detail = file.gzipped
    ? `Its uncompressed contents have SHA-256 ${content}, expected ${entry.contentSha256}. `
    : '';
  throw new ChecksumMismatchError(
    file.path,
    expected.length ? expected : [entry.contentSha256],
    file.fileSha256,
    `${detail}This is not ${datasetName}'s ${entry.name} (corrupt, truncated, or another dataset with the same ` +
      `file names, e.g. MNIST vs Fashion-MNIST): delete or replace it.`,
  );
}

/** Candidate file paths of one entry in a directory: the canonical name, then the uncompressed name. */
function candidateNames(entry: ManifestFile): string[] {
  return entry.name.endsWith('.gz') ? [entry.name, entry.name.slice(0, -3)] : [entry.name, `${entry.name}.gz`];
}

function findInDir(dir: string, entry: ManifestFile): string | undefined {
  for (const name of candidateNames(entry)) {
    const p = path.join(dir, name);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
  }
  return undefined;
}

type Found = Record<IdxFileRole, IdxFile>;

async function readVerified(paths: Record<IdxFileRole, string>, m: IdxDatasetManifest): Promise<Found> {
  const [h, w] = m.imageShape;
  const expect = {
    trainImages: { dtype: 'uint8' as const, shape: [m.counts.train, h, w] },
    trainLabels: { dtype: 'uint8' as const, shape: [m.counts.train] },
    testImages: { dtype: 'uint8' as const, shape: [m.counts.test, h, w] },
    testLabels: { dtype: 'uint8' as const, shape: [m.counts.test] },
  };
  // Read the four files concurrently: gunzip runs on the libuv pool, so they overlap.
  const files = await Promise.all(IDX_FILE_ROLES.map((role) => readIdxFile(paths[role], expect[role])));
  IDX_FILE_ROLES.forEach((role, i) => verifyIdxFile(files[i], m.files[role], m.name));
  return Object.fromEntries(IDX_FILE_ROLES.map((role, i) => [role, files[i]])) as Found;
}

async function downloadInto(dir: string, m: IdxDatasetManifest): Promise<void> {
  for (const role of IDX_FILE_ROLES) {
    const entry = m.files[role];
    const existing = findInDir(dir, entry);
    if (existing) {
      try {
        verifyIdxFile(await readIdxFile(existing, undefined, { cache: false }), entry, m.name);
        continue; // already there and valid
      } catch {
        // corrupt or foreign: fetch it again below (the download replaces it)
      }
    }
    const dest = path.join(dir, entry.name);
    const failures: string[] = [];
    let done = false;
    for (const url of entry.urls) {
      try {
        await downloadFile(url, dest, {
          verify: async (tempPath) => {
            const file = await readIdxFile(tempPath, undefined, { cache: false });
            try {
              verifyIdxFile(file, entry, m.name);
            } catch (err) {
              if (!(err instanceof ChecksumMismatchError)) throw err;
              throw new ChecksumMismatchError(
                `${dest} (downloaded from ${url})`,
                err.expected,
                err.actual,
                'The download is corrupt or the server sent another file; it was discarded.',
              );
            }
          },
        });
        if (existing && existing !== dest) fs.rmSync(existing, { force: true });
        done = true;
        break;
      } catch (err) {
        failures.push(`${url}: ${(err as Error).message}`);
      }
    }
    if (!done) {
      throw new UserError(
        entry.urls.length ? `could not download ${entry.name}:\n      ${failures.join('\n      ')}` : `no download URL for ${entry.name}`,
      );
    }
  }
}

function howToGet(m: IdxDatasetManifest, cacheDir: string): string {
  const lines: string[] = [];
  if (m.bundled) {
    const restore = m.generatedBy ? `regenerate it with: ${m.generatedBy}` : `in a git checkout: git checkout -- datasets/${m.name}`;
    lines.push(`restore prunelab's datasets/${m.name}/ (${restore})`);
  }
  if (m.aptPackage) lines.push(`install the Debian package: apt-get install ${m.aptPackage} (puts the files in /usr/share/datasets/${m.name}/)`);
  lines.push(
    `put the files in a directory DIR (as DIR/${m.name}/ or DIR itself) and set PRUNELAB_DATA=DIR, or pass { dataDir: DIR }`,
  );
  const url = m.files.trainImages.urls[0];
  if (url) {
    lines.push(
      `go online and load again: the files are downloaded from ${url.replace(/[^/]*$/, '')} into ${cacheDir} ` +
        `and checked against their SHA-256 (unset PRUNELAB_OFFLINE; do not pass { download: false })`,
    );
  }
  return lines.map((l) => `  - ${l}`).join('\n');
}

async function locateAndRead(m: IdxDatasetManifest, ctx: DatasetLoadContext): Promise<{ dir: string; files: Found }> {
  const bundledDir = m.bundled ? path.join(packageDatasetsDir(), m.name) : undefined;
  const places: SearchPlace[] = datasetSearchPlaces(m.name, ctx, bundledDir);
  const report: string[] = [];
  const rejected: { place: SearchPlace; error: Error }[] = [];
  const tryDir = async (place: SearchPlace): Promise<Found | undefined> => {
    if (!fs.existsSync(place.dir)) {
      report.push(`${place.dir} (${place.label}): no such directory`);
      return undefined;
    }
    const paths: Partial<Record<IdxFileRole, string>> = {};
    const missing: string[] = [];
    for (const role of IDX_FILE_ROLES) {
      const p = findInDir(place.dir, m.files[role]);
      if (p) paths[role] = p;
      else missing.push(m.files[role].name);
    }
    if (missing.length) {
      report.push(`${place.dir} (${place.label}): ${4 - missing.length} of 4 files, missing ${missing.join(', ')}`);
      return undefined;
    }
    try {
      return await readVerified(paths as Record<IdxFileRole, string>, m);
    } catch (err) {
      if (!(err instanceof ChecksumMismatchError || err instanceof IdxFormatError)) throw err;
      report.push(`${place.dir} (${place.label}): rejected: ${err.message}`);
      rejected.push({ place, error: err });
      return undefined;
    }
  };

  for (const place of places) {
    const files = await tryDir(place);
    if (files) {
      for (const r of rejected.filter((r) => r.place.specific)) {
        console.warn(`prunelab: skipped ${r.place.dir} for '${m.name}': ${r.error.message}`);
      }
      return { dir: place.dir, files };
    }
  }

  const cacheDir = path.join(datasetCacheRoot(ctx), m.name);
  let downloadNote: string;
  if (!ctx.download) {
    downloadNote = 'download: not tried (downloads are disabled by PRUNELAB_OFFLINE or { download: false })';
  } else if (IDX_FILE_ROLES.every((r) => m.files[r].urls.length === 0)) {
    downloadNote = 'download: not possible (the manifest lists no URLs)';
  } else {
    try {
      await downloadInto(cacheDir, m);
      const files = await tryDir({ dir: cacheDir, label: 'user cache, just downloaded', specific: true });
      if (files) return { dir: cacheDir, files };
      downloadNote = 'download: finished but the files did not verify';
    } catch (err) {
      downloadNote = `download into ${cacheDir} failed: ${(err as Error).message}`;
    }
  }
  const fileList = IDX_FILE_ROLES.map((r) => m.files[r].name).join(', ');
  const searched =
    `Looked for ${fileList} (gzip or uncompressed) in:\n` +
    report.map((r) => `  - ${r}`).join('\n') +
    `\n${downloadNote}.\nTo get it:\n${howToGet(m, cacheDir)}`;
  // Files that were found but rejected are the likeliest problem (corrupt or foreign files):
  // report the rejection itself, preferring a directory meant for this dataset.
  const firstBad = rejected.find((r) => r.place.specific) ?? rejected[0];
  if (firstBad) {
    firstBad.error.message += `\nNo valid copy of '${m.name}' was found elsewhere. ${searched}`;
    throw firstBad.error;
  }
  throw new DatasetNotFoundError(m.name, places.map((p) => p.dir), `Dataset '${m.name}' not found. ${searched}`);
}

/**
 * Loads the raw splits of an IDX dataset (values in `[0, 255]`, `featureRange` set).
 *
 * @param manifest the dataset's manifest.
 * @param ctx where to look and whether to download.
 * @throws DatasetNotFoundError listing every place searched and how to get the files;
 *   ChecksumMismatchError / IdxFormatError for a corrupt file in the dataset's own directory.
 */
export async function loadIdxDataset(manifest: IdxDatasetManifest, ctx: DatasetLoadContext): Promise<Dataset> {
  const { dir, files } = await locateAndRead(manifest, ctx);
  return {
    name: ctx.name,
    train: idxExamples(files.trainImages.idx, files.trainLabels.idx, files.trainLabels.path, manifest, 'train'),
    test: idxExamples(files.testImages.idx, files.testLabels.idx, files.testLabels.path, manifest, 'test'),
    classNames: [...manifest.classNames],
    source: dir,
    featureRange: [0, 255],
  };
}
