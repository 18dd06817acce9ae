#!/usr/bin/env node
// Compiles the AssemblyScript kernels in assembly/ to build/wasm/*.wasm (SIMD, -O3).
// Run by `npm run build:wasm`. Uses the assemblyscript compiler from devDependencies:
// no download, works offline. Writes to a temporary file and renames, so a failed build
// never leaves a truncated .wasm behind.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const outDir = path.join(root, 'build', 'wasm');
const ascBin = path.join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');
if (!fs.existsSync(ascBin)) {
  console.error('build-wasm: assemblyscript is not installed; run `npm install` (it is a devDependency).');
  process.exit(1);
}
fs.mkdirSync(outDir, { recursive: true });

for (const name of ['sparse']) {
  const src = path.join(root, 'assembly', `${name}.ts`);
  const out = path.join(outDir, `${name}.wasm`);
  const tmp = `${out}.tmp-${process.pid}`;
  // `npm test` builds every time: skip the ~7 s compile when the .wasm is newer than its inputs.
  const inputs = [src, __filename, path.join(root, 'assembly', 'tsconfig.json')].filter((f) => fs.existsSync(f));
  if (fs.existsSync(out) && inputs.every((f) => fs.statSync(f).mtimeMs <= fs.statSync(out).mtimeMs)) {
    console.log(`build-wasm: ${path.relative(root, out)} is up to date`);
    continue;
  }
  const args = [
    ascBin, src,
    '--outFile', tmp,
    '--optimizeLevel', '3', '--shrinkLevel', '0', '--noAssert',
    '--runtime', 'stub',
    '--enable', 'simd',
    '--initialMemory', '16',
  ];
  try {
    execFileSync(process.execPath, args, { stdio: 'inherit', cwd: root });
    fs.renameSync(tmp, out);
  } catch (err) {
    try { fs.unlinkSync(tmp); } catch { /* nothing to remove */ }
    console.error(`build-wasm: compiling assembly/${name}.ts failed`);
    process.exit(1);
  }
  console.log(`build-wasm: ${path.relative(root, out)} (${fs.statSync(out).size} bytes)`);
}
