/**
 * The module graph has no cycles: a cycle makes load order matter (a module sees the other's
 * exports as undefined while both load) and ties two jobs together. Checked on the compiled
 * require graph of build/src and build/kernel, so type-only imports (erased by tsc) do not count;
 * lazy requires inside functions do.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const BUILD = path.resolve(__dirname, '..', '..');
const ROOT = path.dirname(BUILD);

/** False for a compiled file whose TypeScript source is gone (a stale output of an old build). */
function hasSource(js: string): boolean {
  return fs.existsSync(path.join(ROOT, path.relative(BUILD, js)).replace(/\.js$/, '.ts'));
}

/** Every .js file under `dir` mapped to the .js files of this tree it requires. */
function requireGraph(dir: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (p.endsWith('.js') && hasSource(p)) {
        const deps: string[] = [];
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/\b(?:require|import)\(["'](\.{1,2}\/[^"']+)["']\)/g)) {
          const target = path.resolve(path.dirname(p), m[1]);
          const file = [`${target}.js`, path.join(target, 'index.js'), target].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
          if (file && hasSource(file)) deps.push(file);
        }
        graph.set(p, deps);
      }
    }
  };
  walk(dir);
  return graph;
}

/** Strongly connected components with more than one node (Tarjan). */
function cycles<T>(graph: Map<T, T[]>): T[][] {
  let counter = 0;
  const index = new Map<T, number>(), low = new Map<T, number>(), stack: T[] = [], onStack = new Set<T>(), out: T[][] = [];
  const visit = (v: T): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: T[] = [];
      let w: T;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1) out.push(scc);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('layout: no import cycles', () => {
  const src = path.join(BUILD, 'src');
  const files = new Map<string, string[]>();
  for (const dir of [src, path.join(BUILD, 'kernel')]) for (const [f, d] of requireGraph(dir)) files.set(f, d);

  it('finds a cycle when there is one (the check itself works)', () => {
    assert.deepEqual(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]])).map((c) => c.sort()), [['a', 'b', 'c']]);
  });

  it('no two modules of src/ or kernel/ require each other, directly or through others', () => {
    assert.ok(files.size > 100, `read the compiled graph (${files.size} files under ${BUILD})`);
    assert.deepEqual(cycles(files).map((c) => c.map((f) => path.relative(BUILD, f)).sort()), []);
  });

  it('no two folders of src/ require each other (e.g. plot and report)', () => {
    const folderOf = (f: string) => path.relative(src, f).split(path.sep)[0];
    const folders = new Map<string, string[]>();
    for (const [f, deps] of files) {
      if (!f.startsWith(src + path.sep) || !path.relative(src, f).includes(path.sep)) continue; // top-level files (index.js) only gather
      const from = folderOf(f);
      const to = deps.filter((d) => d.startsWith(src + path.sep) && path.relative(src, d).includes(path.sep)).map(folderOf).filter((d) => d !== from);
      folders.set(from, [...new Set([...(folders.get(from) ?? []), ...to])]);
    }
    assert.deepEqual(cycles(folders), []);
  });
});
