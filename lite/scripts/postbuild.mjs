// The steps the Python `jupyter lite build` does after unpacking the prebuilt
// app, for a site that rspack built into ./build:
//  1. copy the app's static files (index.html, config-utils.js, jupyter-lite.json,
//     lab/jupyter-lite.json, icons, redirects) next to the rspack output;
//  2. write the site config: jupyter-lite.json with our app name, default kernel,
//     `federated_extensions` (none: our kernel is built in; prebuilt labextensions
//     found under ./extensions/<name>/package.json are listed) and
//     `contentsAllJsonFile`;
//  3. copy the notebooks folder to ./files and write a Contents API index
//     `api/contents/<dir>/all.json` for every directory (jupyter_server's format);
//  4. copy the tfjs wasm binaries into the static folder (for setWasmPaths).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const SITE = path.resolve(process.env.LITE_OUT || path.join(HERE, 'build'));
const APP = path.join(HERE, 'app');
const pkg = JSON.parse(fs.readFileSync(path.join(HERE, 'package.json'), 'utf8'));
const cfg = pkg['prunelab-lite'];
const NOTEBOOKS = path.resolve(HERE, process.env.LITE_NOTEBOOKS || cfg.notebooks);
// reproducible timestamps (SOURCE_DATE_EPOCH as the Python CLI honours it)
const EPOCH = process.env.SOURCE_DATE_EPOCH ? new Date(Number(process.env.SOURCE_DATE_EPOCH) * 1000) : null;

const readJSON = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const writeJSON = (f, v) => {
  fs.mkdirSync(path.dirname(f), { recursive: true });
  fs.writeFileSync(f, JSON.stringify(v, null, 2) + '\n');
};

// 1. static files of the app (what upstream's app/.npmignore lets through)
const STATIC_FILES = [
  'index.html', 'config-utils.js', 'jupyter-lite.ipynb', 'manifest.webmanifest', 'icon-120x120.png', 'icon-512x512.png',
  ...cfg.apps.flatMap((a) => [`${a}/jupyter-lite.json`, `${a}/jupyter-lite.ipynb`, `${a}/favicon.ico`, `${a}/tree/index.html`, `${a}/workspaces/index.html`]),
];
for (const f of STATIC_FILES) {
  const src = path.join(APP, f);
  if (!fs.existsSync(src)) continue;
  fs.mkdirSync(path.dirname(path.join(SITE, f)), { recursive: true });
  fs.copyFileSync(src, path.join(SITE, f));
}
// the browser asks every site for /favicon.ico (the pages link none); without it, every page
// load logs a 404 console error
fs.copyFileSync(path.join(APP, cfg.apps[0], 'favicon.ico'), path.join(SITE, 'favicon.ico'));

// 2. federated extensions: prebuilt labextensions dropped into ./extensions
const EXT = path.join(SITE, 'extensions');
const federated = [];
if (fs.existsSync(EXT)) {
  for (const pj of findFiles(EXT, (f) => f.endsWith('package.json') && path.relative(EXT, f).split(path.sep).length <= 3)) {
    const p = readJSON(pj);
    const build = p.jupyterlab?._build;
    if (!build) continue;
    federated.push({ name: p.name, load: build.load, extension: build.extension, mimeExtension: build.mimeExtension, style: build.style });
  }
}
const liteJson = readJSON(path.join(APP, 'jupyter-lite.json'));
const data = liteJson['jupyter-config-data'];
Object.assign(data, {
  appName: 'prunelab',
  defaultKernelName: 'prunelab',
  federated_extensions: federated.map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined))),
  contentsAllJsonFile: 'all.json',
  exposeAppInBrowser: true,
});
writeJSON(path.join(SITE, 'jupyter-lite.json'), liteJson);
// settings schemas of federated extensions (none yet); the settings service
// fetches this file on every start and concatenates it to schemas/all.json
writeJSON(path.join(SITE, 'build', 'schemas', 'all_federated.json'), []);

// translations: English only (what the CLI writes without jupyterlab_server)
const TR = path.join(SITE, 'api', 'translations');
writeJSON(path.join(TR, 'all.json'), { data: { en: { displayName: 'English', nativeName: 'English' } }, message: '' });
writeJSON(path.join(TR, 'en.json'), { data: {}, message: "Language pack 'en' not installed!" });

// 3. contents: ./files and api/contents/**/all.json
const FILES = path.join(SITE, 'files');
const API = path.join(SITE, 'api', 'contents');
fs.rmSync(FILES, { recursive: true, force: true });
fs.rmSync(API, { recursive: true, force: true });
if (fs.existsSync(NOTEBOOKS)) fs.cpSync(NOTEBOOKS, FILES, { recursive: true, filter: (s) => !/(^|\/)\.(ipynb_checkpoints|git)/.test(s) });
fs.mkdirSync(FILES, { recursive: true });
const MIME = { '.ipynb': 'application/x-ipynb+json', '.json': 'application/json', '.md': 'text/markdown', '.csv': 'text/csv', '.txt': 'text/plain', '.png': 'image/png', '.ts': 'text/typescript', '.js': 'application/javascript' };
function model(abs) {
  const st = fs.statSync(abs);
  const rel = path.relative(FILES, abs).split(path.sep).join('/');
  const t = (EPOCH && st.mtime > EPOCH ? EPOCH : st.mtime).toISOString();
  const dir = st.isDirectory();
  const ext = path.extname(abs);
  return {
    name: rel === '' ? '' : path.basename(abs),
    path: rel,
    created: t,
    last_modified: t,
    content: null,
    format: null,
    mimetype: dir ? null : MIME[ext] ?? null,
    size: dir ? null : st.size,
    writable: true,
    type: dir ? 'directory' : ext === '.ipynb' ? 'notebook' : 'file',
  };
}
function index(dir) {
  const listing = { ...model(dir), format: 'json', content: [] };
  for (const name of fs.readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const abs = path.join(dir, name);
    listing.content.push(model(abs));
    if (fs.statSync(abs).isDirectory()) index(abs);
  }
  writeJSON(path.join(API, path.relative(FILES, dir), 'all.json'), listing);
}
index(FILES);

// 4. tfjs wasm binaries
const wasmDist = path.join(HERE, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
for (const f of fs.readdirSync(wasmDist).filter((f) => f.endsWith('.wasm'))) {
  fs.copyFileSync(path.join(wasmDist, f), path.join(SITE, 'build', f));
}

// 5. prunelab's sparse kernels (build/wasm/sparse.wasm, from `npm run build` at the top level)
//    beside the worker, and the datasets the notebooks load by name: the repository's datasets/
//    (manifests, MNIST, the tiny set) plus Fashion-MNIST from the Debian package when it is
//    installed (the site then serves all three; without it, loading 'fashion-mnist' says so).
const REPO = path.dirname(HERE);
const sparseWasm = path.join(REPO, 'build', 'wasm', 'sparse.wasm');
if (!fs.existsSync(sparseWasm)) throw new Error(`postbuild: ${sparseWasm} is missing: run 'npm run build' at the repository root first.`);
fs.copyFileSync(sparseWasm, path.join(SITE, 'build', 'sparse.wasm'));
const DATASETS = path.join(SITE, 'datasets');
fs.rmSync(DATASETS, { recursive: true, force: true });
fs.cpSync(path.join(REPO, 'datasets'), DATASETS, { recursive: true, filter: (src) => !/README|\.py$/.test(path.basename(src)) });
const fashionDir = process.env.LITE_FASHION_MNIST || '/usr/share/datasets/fashion-mnist';
const fashionManifest = JSON.parse(fs.readFileSync(path.join(REPO, 'datasets', 'manifests', 'fashion-mnist.json'), 'utf8'));
const fashionFiles = Object.values(fashionManifest.files).map((f) => f.name);
if (fashionFiles.every((f) => fs.existsSync(path.join(fashionDir, f)))) {
  fs.mkdirSync(path.join(DATASETS, 'fashion-mnist'), { recursive: true });
  for (const f of fashionFiles) fs.copyFileSync(path.join(fashionDir, f), path.join(DATASETS, 'fashion-mnist', f));
} else {
  console.warn(`postbuild: Fashion-MNIST not found in ${fashionDir} (apt-get install the dataset package, or set LITE_FASHION_MNIST): the site will not serve it.`);
}

function* findFiles(dir, pred) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* findFiles(p, pred);
    else if (pred(p)) yield p;
  }
}
console.log(`postbuild: ${SITE}: ${federated.length} federated extension(s), contents from ${path.relative(HERE, NOTEBOOKS)}`);
