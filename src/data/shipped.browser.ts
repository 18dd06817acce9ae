/**
 * Where IDX datasets come from in the browser edition: the site serves prunelab's `datasets/`
 * folder as static files (manifests and gzip IDX files), fetched on demand, checked against the
 * manifest's SHA-256 digests (Web Crypto), decompressed by the browser (DecompressionStream)
 * and decoded by the same parser as in Node.
 */
import { ChecksumMismatchError, DatasetNotFoundError, IdxFormatError } from './errors';
import { idxExamples } from './idx-examples';
import { isGzip, parseIdxContent, checkIdxExpectation, type IdxArray } from './idx-parse';
import { IDX_FILE_ROLES, checkManifest, type IdxDatasetManifest, type ManifestFile } from './manifest-check';
import type { DatasetLoadContext } from './load-options';
import type { Dataset } from './types';
import { UserError } from '../errors';

let baseUrl: string | undefined;

/** Sets the URL of the site's `datasets/` folder (the kernel does this when it starts). */
export function setDatasetsBaseUrl(url: string): void {
  baseUrl = url.endsWith('/') ? url : `${url}/`;
}

function datasetsUrl(rel: string): string {
  if (!baseUrl) throw new UserError('The browser kernel has not set where datasets are served (setDatasetsBaseUrl).');
  return new URL(rel, baseUrl).href;
}

/** No downloads from third-party hosts in the browser: the site serves the files it ships. */
export function downloadsAllowedByEnv(): boolean {
  return false;
}

async function fetchBytes(url: string): Promise<Uint8Array | undefined> {
  const res = await fetch(url);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new UserError(`Fetching ${url} failed: HTTP ${res.status} ${res.statusText}.`);
  return new Uint8Array(await res.arrayBuffer());
}

/** The manifest of a dataset the site ships (`datasets/manifests/<name>.json`). */
export async function shippedManifest(name: string): Promise<IdxDatasetManifest> {
  const url = datasetsUrl(`manifests/${name}.json`);
  const bytes = await fetchBytes(url);
  if (!bytes) throw new DatasetNotFoundError(name, [url], `Dataset '${name}' is not served by this site (no ${url}).`);
  let parsed: IdxDatasetManifest;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new UserError(`Invalid dataset manifest ${url}: ${(err as Error).message}.`);
  }
  return checkManifest(parsed);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

async function gunzip(bytes: Uint8Array, source: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new IdxFormatError(source, `corrupt or truncated gzip stream (${(err as Error).message}); the site serves a damaged file.`);
  }
}

/** Fetches one file (the manifest's name, else its uncompressed name), checks its digest, decodes it. */
async function fetchIdx(m: IdxDatasetManifest, entry: ManifestFile): Promise<{ idx: IdxArray; url: string }> {
  const names = entry.name.endsWith('.gz') ? [entry.name, entry.name.slice(0, -3)] : [entry.name, `${entry.name}.gz`];
  const tried: string[] = [];
  for (const name of names) {
    const url = datasetsUrl(`${m.name}/${name}`);
    const stored = await fetchBytes(url);
    tried.push(url);
    if (!stored) continue;
    const gzipped = isGzip(stored);
    const content = gzipped ? await gunzip(stored, url) : stored;
    const storedSha = gzipped ? await sha256Hex(stored) : undefined;
    if (!(storedSha && entry.variants.some((v) => v.sha256 === storedSha))) {
      const contentSha = await sha256Hex(content);
      if (contentSha !== entry.contentSha256) {
        throw new ChecksumMismatchError(url, [entry.contentSha256], contentSha, `This is not ${m.name}'s ${entry.name}: the site serves another or a damaged file.`);
      }
    }
    return { idx: parseIdxContent(content, url), url };
  }
  throw new DatasetNotFoundError(m.name, tried, `Dataset '${m.name}': the site does not serve ${entry.name} (tried ${tried.join(', ')}).`);
}

/** Loads the raw splits of an IDX dataset served by the site (values in [0, 255]). */
export async function loadIdxDataset(manifest: IdxDatasetManifest, ctx: DatasetLoadContext): Promise<Dataset> {
  const files = await Promise.all(IDX_FILE_ROLES.map((role) => fetchIdx(manifest, manifest.files[role])));
  const [trainImages, trainLabels, testImages, testLabels] = files;
  const [h, w] = manifest.imageShape;
  checkIdxExpectation(trainImages.idx, { dtype: 'uint8', shape: [manifest.counts.train, h, w] }, trainImages.url);
  checkIdxExpectation(trainLabels.idx, { dtype: 'uint8', shape: [manifest.counts.train] }, trainLabels.url);
  checkIdxExpectation(testImages.idx, { dtype: 'uint8', shape: [manifest.counts.test, h, w] }, testImages.url);
  checkIdxExpectation(testLabels.idx, { dtype: 'uint8', shape: [manifest.counts.test] }, testLabels.url);
  return {
    name: ctx.name,
    train: idxExamples(trainImages.idx, trainLabels.idx, trainLabels.url, manifest, 'train'),
    test: idxExamples(testImages.idx, testLabels.idx, testLabels.url, manifest, 'test'),
    classNames: [...manifest.classNames],
    source: datasetsUrl(`${manifest.name}/`),
    featureRange: [0, 255],
  };
}
