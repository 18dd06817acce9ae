/**
 * The browser edition's `pl` (src/browser.ts) must not reach a Node-only module once every
 * module with a `*.browser.ts` sibling is replaced by it (what lite/rspack.config.js does), and
 * each substitute must export what the module it replaces exports, or code that works in Node
 * would find `undefined` in the browser.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import { builtinModules } from 'module';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';

const BUILD_SRC = path.resolve(__dirname, '..', '..', 'src');

/** Packages that need Node (native code, processes, the file system) or are the Node kernel's. */
const NODE_ONLY = new Set([...builtinModules, 'danfojs-node', '@tensorflow/tfjs-node', 'zeromq', 'playwright-core', 'tslab']);

/**
 * Node built-ins the bundle may keep because the browser build provides them:
 * `path` is path-browserify (string functions only; `process.cwd()` is '/').
 */
const PROVIDED = new Set(['path']);

/** Bare module names of a compiled module's `require("...")` calls, and its relative imports resolved. */
function requires(file: string): { bare: string[]; local: string[] } {
  const src = fs.readFileSync(file, 'utf8');
  const bare: string[] = [];
  const local: string[] = [];
  for (const m of src.matchAll(/require\("([^"]+)"\)/g)) {
    const r = m[1];
    if (!r.startsWith('.')) {
      bare.push(r.replace(/^node:/, ''));
      continue;
    }
    const p = path.resolve(path.dirname(file), r);
    const found = [`${p}.js`, path.join(p, 'index.js'), p].find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
    if (!found) throw new Error(`${file}: cannot resolve ${r}`);
    local.push(found);
  }
  return { bare, local };
}

/** The browser substitute of a compiled module, if there is one. */
function substitute(file: string): string {
  const b = file.replace(/\.js$/, '.browser.js');
  return fs.existsSync(b) ? b : file;
}

/** Node-only modules reachable from `entry` in the browser build, each with the import chain to it. */
function nodeOnlyImports(entry: string): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const queue: { file: string; chain: string[] }[] = [{ file: entry, chain: [] }];
  while (queue.length) {
    const { file: requested, chain } = queue.shift()!;
    const file = substitute(requested);
    if (seen.has(file)) continue;
    seen.add(file);
    const here = [...chain, path.relative(BUILD_SRC, file)];
    const { bare, local } = requires(file);
    for (const b of bare) {
      const pkg = b.startsWith('@') ? b.split('/').slice(0, 2).join('/') : b.split('/')[0];
      if ((NODE_ONLY.has(b) || NODE_ONLY.has(pkg)) && !PROVIDED.has(b) && !found.has(b)) found.set(b, here);
    }
    for (const l of local) queue.push({ file: l, chain: here });
  }
  return found;
}

function browserSubstitutes(dir = BUILD_SRC): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...browserSubstitutes(p));
    else if (e.name.endsWith('.browser.js')) out.push(p);
  }
  return out;
}

describe('browser edition: the pl API without Node', () => {
  it('src/browser.ts reaches no Node-only module once *.browser.ts substitutes are applied', () => {
    const bad = nodeOnlyImports(path.join(BUILD_SRC, 'browser.js'));
    const report = [...bad].map(([mod, chain]) => `  ${mod}: ${chain.join(' > ')}`).join('\n');
    assert.strictEqual(bad.size, 0, `Node-only modules in the browser API:\n${report}`);
  });

  it('the check finds a Node-only module (the Node entry src/index.ts reaches fs and child_process)', () => {
    const bad = nodeOnlyImports(path.join(BUILD_SRC, 'index.js'));
    assert.ok(bad.has('fs') && bad.has('child_process'), `expected fs and child_process, found ${[...bad.keys()].join(', ')}`);
  });

  it('every *.browser.ts substitute exports the names of the module it replaces', () => {
    const subs = browserSubstitutes();
    assert.ok(subs.length >= 8, `expected the browser substitutes, found ${subs.length}`);
    for (const b of subs) {
      const node = b.replace(/\.browser\.js$/, '.js');
      assert.ok(fs.existsSync(node), `${path.relative(BUILD_SRC, b)} substitutes nothing: no ${path.relative(BUILD_SRC, node)}`);
      const exported = (f: string) => Object.keys(require(f)).filter((k) => k !== '__esModule').sort();
      const missing = exported(node).filter((k) => !exported(b).includes(k));
      assert.deepStrictEqual(missing, [], `${path.relative(BUILD_SRC, b)} lacks exports of its Node module: ${missing.join(', ')}`);
    }
  });
});

describe('browser edition: Node-only parts of pl explain themselves', () => {
  it('pl.sweep() and the sweep engine behind pl.sweeps raise a UserError naming the call and the Node edition', () => {
    const pl = require('../../src/browser') as { sweeps: Record<string, (...a: unknown[]) => unknown>; sweep(s: object): unknown };
    assert.throws(() => pl.sweeps.status('01-mnist-quick'), (e: Error) => e.name === 'UserError' && /^pl\.sweeps\.status\(\) needs the Node edition/.test(e.message));
    assert.throws(() => pl.sweep({}), /pl\.sweep\(\) needs the Node edition/);
    assert.strictEqual((pl.sweeps as { then?: unknown }).then, undefined);
  });

  it('a stand-in is not a promise (awaiting it does not hang) and has no symbol members', async () => {
    const pl = require('../../src/browser') as { compare: unknown };
    assert.strictEqual((pl.compare as { then?: unknown }).then, undefined);
    assert.strictEqual((pl.compare as Record<symbol, unknown>)[Symbol.iterator], undefined);
  });
});

describe('browser edition: pl.sweeps runs the notebook drivers in the page', function () {
  this.timeout(120000);
  const pl = require('../../src/browser') as typeof import('../../src/browser');
  const report = require('../../src/report-namespace') as typeof import('../../src/report-namespace');
  const data = { dataset: 'tiny-fashion', trainSubset: 200, testSubset: 100 };
  const dense = { steps: 10, batchSize: 50, learningRate: 0.05 };

  it("sparsitySweep gives the in-process driver's rows, and a summary naming the page as executor", async () => {
    const o = { data, seeds: [1, 2], sparsities: [0.5, 0.9], dense, finetune: { steps: 3, batchSize: 50, learningRate: 0.01 }, log: () => undefined };
    const inPage = await pl.sweeps.sparsitySweep({ name: 'tiny', ...o, workers: 2, dir: '/ignored' });
    const inProcess = await report.sparsitySweep(o);
    assert.deepStrictEqual(inPage.rows, inProcess.rows);
    assert.deepStrictEqual([inPage.sweep.executor, inPage.sweep.dir, inPage.sweep.done, inPage.sweep.total, inPage.sweep.rows[3].id], ['in-page', 'in-page:tiny', 4, 4, 'tiny/3']);
    report.disposeRuns([...inPage.runs, ...inProcess.runs]);
  });

  it('iterativeSweep runs Han et al.\'s protocol per seed and measures the retrained weights', async () => {
    const before = tf.memory().numTensors;
    const h = await pl.sweeps.iterativeSweep({ name: 'tiny-han', denseFrom: 'tiny', data, seeds: [1, 2], dense, density: { fc1: 0.2, fc2: 0.3, fc3: 0.5 }, rounds: 2, retrain: { steps: 3, batchSize: 50, learningRate: 0.01 } });
    assert.deepStrictEqual(h.rows.map((r) => [r.seed, r.round]), [[1, 0], [1, 1], [1, 2], [2, 0], [2, 1], [2, 2]]);
    assert.ok(h.measured.every((m) => Math.abs(m.kept.fc1 - 0.2) < 0.01 && Math.abs(m.kept.fc3 - 0.5) < 0.02), JSON.stringify(h.measured.map((m) => m.kept)));
    assert.strictEqual(tf.memory().numTensors, before, 'the dense runs are disposed');
  });

  it('an executor is an error that says where it runs; a missing name says what to give', async () => {
    await assert.rejects(pl.sweeps.variantSweep({ name: 'x', executor: 'slurm', data, seeds: [1, 2], dense, variants: [], finetune: null }), /executor: "slurm".*needs the Node edition/);
    await assert.rejects(pl.sweeps.scheduleSweep({ data } as never), /pl\.sweeps\.scheduleSweep: give the sweep a name/);
  });
});
