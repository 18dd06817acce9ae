#!/usr/bin/env node
// The browser edition (JupyterLite site in lite/), from the repository root:
//   node scripts/lite.js build [--out DIR] [--no-install]   npm run lite
//       installs lite/'s npm packages with `npm ci` when they are missing or do not match
//       lite/package-lock.json (the only step that needs the network), builds the site into DIR
//       (default build/lite) and prints its size. No Python.
//   node scripts/lite.js serve [--port N] [--dir DIR]       npm run lite:serve [-- --port N]
//       serves DIR on 127.0.0.1 with the COOP/COEP headers cross-origin isolation needs; the port
//       is --port, else $LITE_PORT, else 8765 (0: any free port; the URL is printed).
//   node scripts/lite.js size [--dir DIR]                   the size report alone
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');
const zlib = require('zlib');

const ROOT = path.resolve(__dirname, '..');
const LITE = path.join(ROOT, 'lite');
const DEFAULT_OUT = path.join(ROOT, 'build', 'lite');
const DEFAULT_PORT = 8765;

function fail(message) {
  console.error(`lite: ${message}`);
  process.exit(1);
}

/** `--name value` options of the command line; `flags` are the ones that take no value. */
function parseArgs(argv, known, flags = []) {
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (!argv[i].startsWith('--') || ![...known, ...flags].includes(name)) {
      fail(`unknown argument '${argv[i]}' (known: ${[...known, ...flags].map((k) => `--${k}`).join(', ')})`);
    }
    if (flags.includes(name)) opts[name] = true;
    else if (i + 1 >= argv.length) fail(`--${name} needs a value`);
    else opts[name] = argv[++i];
  }
  return opts;
}

/**
 * Why lite/'s installed packages cannot be used as they are (null when they can): missing, or
 * different from what lite/package-lock.json pins. npm records what it installed in
 * node_modules/.package-lock.json; optional packages for other platforms are never installed.
 */
function liteInstallProblem() {
  const installed = path.join(LITE, 'node_modules', '.package-lock.json');
  if (!fs.existsSync(path.join(LITE, 'node_modules'))) return 'lite/node_modules is missing';
  if (!fs.existsSync(installed)) return 'lite/node_modules has no .package-lock.json (not installed by npm)';
  const locked = JSON.parse(fs.readFileSync(path.join(LITE, 'package-lock.json'), 'utf8')).packages;
  const have = JSON.parse(fs.readFileSync(installed, 'utf8')).packages;
  for (const [key, entry] of Object.entries(locked)) {
    if (key === '' || !key.includes('node_modules/')) continue;
    const got = have[key];
    if (!got || !fs.existsSync(path.join(LITE, key, 'package.json'))) {
      if (entry.optional) continue;
      return `${key} is not installed`;
    }
    if (got.version !== entry.version || !!got.link !== !!entry.link) {
      return `${key} is ${got.version ?? 'a link'}, the lockfile pins ${entry.version ?? 'a link'}`;
    }
  }
  for (const key of Object.keys(have)) {
    if (key.includes('node_modules/') && !locked[key]) return `${key} is installed but not in the lockfile`;
  }
  return null;
}

/** Fails when lite/package.json's dependencies are not the ones lite/package-lock.json was made from. */
function checkLockMatchesManifest() {
  const manifest = JSON.parse(fs.readFileSync(path.join(LITE, 'package.json'), 'utf8'));
  const root = JSON.parse(fs.readFileSync(path.join(LITE, 'package-lock.json'), 'utf8')).packages[''];
  for (const field of ['dependencies', 'devDependencies']) {
    const want = JSON.stringify(Object.entries(manifest[field] ?? {}).sort());
    const got = JSON.stringify(Object.entries(root[field] ?? {}).sort());
    if (want !== got) {
      fail(`lite/package-lock.json was not made from lite/package.json's ${field}: run \`cd lite && npm install\` and commit lite/package-lock.json`);
    }
  }
}

function run(cmd, args, options) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.error) fail(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  return (Date.now() - t0) / 1000;
}

function build(argv) {
  const opts = parseArgs(argv, ['out'], ['no-install']);
  const out = path.resolve(opts.out ?? DEFAULT_OUT);
  // The site's bundle takes typescript and plotly.js from the top-level node_modules.
  for (const pkg of ['typescript', 'plotly.js-dist-min']) {
    try {
      require.resolve(`${pkg}/package.json`, { paths: [ROOT] });
    } catch {
      fail(`${pkg} is not installed at the repository root: run \`npm ci\` there first (npm run setup does it)`);
    }
  }
  checkLockMatchesManifest();
  const problem = liteInstallProblem();
  if (problem) {
    if (opts['no-install']) fail(`${problem}: run \`npm run lite\` (it installs lite/'s packages with npm ci)`);
    console.log(`lite: ${problem}; installing lite/'s packages (npm ci)`);
    const s = run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: LITE });
    console.log(`lite: npm ci took ${s.toFixed(0)} s`);
  }
  const s = run('npm', ['run', '--silent', 'build'], { cwd: LITE, env: { ...process.env, LITE_OUT: out } });
  console.log(`lite: built ${shown(out)} in ${s.toFixed(0)} s`);
  printSize(out);
}

function* files(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

/** A path as the user would type it: relative to the repository root when inside it. */
const shown = (p) => (p.startsWith(ROOT + path.sep) ? path.relative(ROOT, p) : p);

const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;

/** On disk, and gzip-compressed (level 6, what static hosts and CDNs typically serve). */
function printSize(dir) {
  if (!fs.existsSync(dir)) fail(`${shown(dir)} does not exist: run \`npm run lite\` first`);
  const all = [...files(dir)].map((f) => ({ f, size: fs.statSync(f).size }));
  const total = all.reduce((s, x) => s + x.size, 0);
  const gz = (f) => zlib.gzipSync(fs.readFileSync(f), { level: 6 }).length;
  const gzTotal = all.reduce((s, x) => s + gz(x.f), 0);
  console.log(`lite: site size ${mb(total)} in ${all.length} files (${mb(gzTotal)} gzip); largest scripts and binaries:`);
  const big = all.filter((x) => /\.(js|wasm)$/.test(x.f)).sort((a, b) => b.size - a.size).slice(0, 8);
  for (const x of big) {
    console.log(`  ${mb(x.size).padStart(8)}  ${mb(gz(x.f)).padStart(8)} gzip  ${path.relative(dir, x.f)}`);
  }
}

async function serve(argv) {
  const opts = parseArgs(argv, ['port', 'dir']);
  const dir = path.resolve(opts.dir ?? DEFAULT_OUT);
  const portText = opts.port ?? process.env.LITE_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) fail(`port '${portText}' is not a port number (0-65535; 0 picks a free one)`);
  if (!fs.existsSync(path.join(dir, 'index.html'))) fail(`${shown(dir)}/index.html not found: run \`npm run lite\` first`);
  const { serve: listen } = await import(pathToFileURL(path.join(LITE, 'scripts', 'serve.mjs')).href);
  const server = await listen(dir, port).catch((e) => fail(`cannot listen on 127.0.0.1:${port}: ${e.message}`));
  console.log(`lite: serving ${shown(dir)} on http://127.0.0.1:${server.address().port}/ (cross-origin isolated: COOP/COEP set)`);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { server.close(() => process.exit(0)); server.closeAllConnections(); });
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'build') build(rest);
else if (command === 'serve') serve(rest);
else if (command === 'size') printSize(path.resolve(parseArgs(rest, ['dir']).dir ?? DEFAULT_OUT));
else fail(`usage: node scripts/lite.js build [--out DIR] [--no-install] | serve [--port N] [--dir DIR] | size [--dir DIR]`);
