// A fresh `git clone` finds every dataset the notebooks use, offline and without ../shared.
//
// What this proves is that the data files are COMMITTED, not merely present in this working
// tree: the repository is cloned into a temporary folder (only committed files arrive there), the
// built data loader is copied into the clone (so it finds its datasets/ by walking up from its own
// location, as an installed prunelab does), and a child node process loads each dataset with
// PRUNELAB_DATA unset, an empty user cache, PRUNELAB_OFFLINE=1 and every socket connection made
// to throw, so that a download cannot rescue a missing file.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readManifest } from '../../src/data';
import { repoRoot, tempDir, cleanupTempDirs } from './helpers';

/** Dataset names a notebook loads: `%data NAME`, `loadDataset('NAME'` and experiment specs `dataset: 'NAME'`. */
function notebookDatasets(notebooksDir: string): string[] {
  const names = new Set<string>();
  const patterns = [/%data\s+([\w-]+)/g, /loadDataset\(\s*['"]([\w-]+)['"]/g, /\bdataset:\s*['"]([\w-]+)['"]/g];
  for (const file of fs.readdirSync(notebooksDir).filter((f) => f.endsWith('.ipynb')).sort()) {
    const nb = JSON.parse(fs.readFileSync(path.join(notebooksDir, file), 'utf8')) as { cells: { cell_type: string; source: string | string[] }[] };
    for (const cell of nb.cells.filter((c) => c.cell_type === 'code')) {
      const source = Array.isArray(cell.source) ? cell.source.join('') : cell.source;
      for (const re of patterns) for (const m of source.matchAll(re)) names.add(m[1]);
    }
  }
  return [...names].sort();
}

// Runs in the child: forbids the network, then loads each dataset named in argv with the loader
// that sits inside the clone, and prints one JSON line of results.
const CHILD = `
const net = require('net');
let attempts = 0;
net.Socket.prototype.connect = function () {
  attempts++;
  throw new Error('network access is forbidden in the fresh-clone test');
};
const [registryPath, ...names] = process.argv.slice(1);
const { loadDataset } = require(registryPath);
(async () => {
  const results = [];
  for (const name of names) {
    try {
      const ds = await loadDataset(name);
      results.push({ name, source: ds.source, train: ds.train.count, test: ds.test.count });
    } catch (err) {
      results.push({ name, error: String(err && err.message || err) });
    }
  }
  console.log(JSON.stringify({ attempts, results }));
})();
`;

interface ChildResult {
  name: string;
  source?: string;
  train?: number;
  test?: number;
  error?: string;
}

// The notebooks of this checkout name the datasets (in CI identical to the clone's); one test each.
const NOTEBOOK_DATASETS = notebookDatasets(path.join(repoRoot, 'notebooks'));
const SYSTEM_DATA_ROOT = '/usr/share/datasets';

describe('data: a fresh git clone resolves every notebook dataset offline', function () {
  this.timeout(180_000);
  let clone: string;
  let results: Map<string, ChildResult>;
  let attempts: number;

  before(function () {
    const git = spawnSync('git', ['--version'], { encoding: 'utf8' });
    if (git.status !== 0) {
      console.log('    skipped: git is not installed');
      this.skip();
    }
    if (spawnSync('git', ['-C', repoRoot, 'rev-parse', '--git-dir'], { encoding: 'utf8' }).status !== 0) {
      console.log(`    skipped: ${repoRoot} is not a git checkout, there is nothing to clone`);
      this.skip();
    }
    const root = tempDir('prunelab-clone-');
    clone = path.join(root, 'prunelab');
    const home = path.join(root, 'home');
    fs.mkdirSync(home);
    // Only committed files reach the clone (HEAD of this checkout; in CI a clean clone of main).
    const r = spawnSync('git', ['clone', '--quiet', repoRoot, clone], { encoding: 'utf8' });
    assert.equal(r.status, 0, `git clone failed: ${r.stderr}`);
    assert.ok(!fs.existsSync(path.join(root, 'shared')), 'the clone must have no ../shared sibling');

    // The built code, placed where a build of the clone would put it (the data loader needs no npm package).
    fs.cpSync(path.join(repoRoot, 'build', 'src'), path.join(clone, 'build', 'src'), { recursive: true });

    const names = notebookDatasets(path.join(clone, 'notebooks'));
    assert.deepEqual(names, NOTEBOOK_DATASETS, 'the committed notebooks use other datasets than this checkout (commit your work)');
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache'), PRUNELAB_OFFLINE: '1' };
    delete env.PRUNELAB_DATA;
    delete env.PRUNELAB_SYSTEM_DATA_DIRS;
    const child = spawnSync(process.execPath, ['-e', CHILD, path.join(clone, 'build', 'src', 'data', 'registry.js'), ...names], {
      cwd: clone,
      env,
      encoding: 'utf8',
    });
    assert.equal(child.status, 0, `the loader in the clone crashed:\n${child.stderr}`);
    const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as { attempts: number; results: ChildResult[] };
    attempts = out.attempts;
    results = new Map(out.results.map((r) => [r.name, r]));
  });
  after(cleanupTempDirs);

  it('finds the datasets the notebooks use (the parser sees MNIST and the tiny set)', () => {
    assert.ok(NOTEBOOK_DATASETS.includes('mnist'), `datasets found in the notebooks: ${NOTEBOOK_DATASETS.join(', ')}`);
    assert.ok(NOTEBOOK_DATASETS.includes('tiny-fashion'), `datasets found in the notebooks: ${NOTEBOOK_DATASETS.join(', ')}`);
  });

  for (const name of NOTEBOOK_DATASETS) {
    it(`${name}: loads offline from the clone or the system data directory`, function () {
      const r = results.get(name)!;
      const systemDir = path.join(SYSTEM_DATA_ROOT, name);
      const aptPackage = readManifest(name).aptPackage;
      if (r.error && aptPackage && !fs.existsSync(systemDir)) {
        // Not shipped: it comes from a Debian package that scripts/setup.sh installs.
        console.log(`      skipped: ${name} comes from the Debian package ${aptPackage}, and ${systemDir} is absent (run scripts/setup.sh)`);
        this.skip();
      }
      assert.equal(r.error, undefined, `${name} did not load from the fresh clone: ${r.error}`);
      // Files that ship with prunelab must come from the clone itself, never from this checkout.
      const fromClone = r.source!.startsWith(clone + path.sep);
      const fromSystem = r.source === systemDir;
      assert.ok(fromClone || fromSystem, `${name}: loaded from ${r.source}, neither the clone nor ${systemDir}`);
      assert.ok(r.train! > 0 && r.test! > 0, `${name}: ${r.train} train / ${r.test} test examples`);
    });
  }

  it('mnist comes from the clone itself: 60000 + 10000 examples from datasets/mnist', () => {
    const mnist = results.get('mnist')!;
    assert.equal(mnist.error, undefined, mnist.error);
    assert.equal(mnist.source, path.join(clone, 'datasets', 'mnist'));
    assert.deepEqual([mnist.train, mnist.test], [60000, 10000]);
  });

  it('attempted no network connection', () => {
    assert.equal(attempts, 0, 'the loader tried to open a network connection');
  });
});

describe('data: the tests and CI need nothing beside the checkout', () => {
  it('no committed test, script, CI file or product code refers to ../shared', function () {
    const listed = spawnSync('git', ['-C', repoRoot, 'ls-files', '-z', '.ci', 'scripts', 'test', 'src', 'kernel', 'bench', 'package.json', '.mocharc.json'], {
      encoding: 'utf8',
    });
    if (listed.status !== 0) {
      console.log(`    skipped: ${repoRoot} is not a git checkout`);
      this.skip();
    }
    const self = path.relative(repoRoot, __filename).replace(/^build\//, '').replace(/\.js$/, '.ts');
    const offenders = listed.stdout
      .split('\0')
      .filter((f) => f && f !== self && fs.existsSync(path.join(repoRoot, f)))
      .filter((f) => /\.\.\/shared|shared\/datasets|"shared"\s*,\s*"datasets"/.test(fs.readFileSync(path.join(repoRoot, f), 'utf8')));
    assert.deepEqual(offenders, [], `these files reach for ../shared, which a user's clone does not have`);
  });
});
