#!/usr/bin/env node
// Removes compiled files (build/**/*.js, .d.ts, .js.map) whose TypeScript source is gone, so that
// a moved or deleted module or test cannot keep running from a stale output (mocha runs every
// build/test/**/*.test.js). tsc never deletes outputs, and its incremental build info stays valid.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const build = path.join(root, 'build');
let removed = 0;
function walk(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p);
    else {
      const m = /^(.*)(\.d\.ts|\.js\.map|\.js)$/.exec(p);
      if (m && !fs.existsSync(path.join(root, path.relative(build, m[1])) + '.ts')) {
        fs.rmSync(p);
        removed++;
      }
    }
  }
}
for (const top of ['src', 'kernel', 'test', 'bench']) walk(path.join(build, top));
if (removed) console.log(`prune-stale-build: removed ${removed} compiled file(s) whose source is gone`);
