// The PyTorch benchmark peer: its own environment (no stale OpenBLAS tuning, stated thread
// count), the BLAS line the benchmarks print, and set-up installing an optimised BLAS.
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PEER_PYTHON, STALE_OPENBLAS_VARS, describePeerBlas, runTorchPeer, torchPeerEnv, type PeerBlas } from '../../bench/torch-peer';

const ROOT = path.resolve(__dirname, '..', '..', '..');

const openblasReport: PeerBlas = {
  library: '/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3',
  name: 'OpenBLAS',
  openblas_config: 'OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64',
  blas_threads: 1,
  torch_threads: 1,
  torch_build_blas: 'generic',
  stale_env: { OPENBLAS_CORETYPE: null, OPENBLAS_L2_SIZE: null },
};

describe('bench: the PyTorch peer', () => {
  it('runs with the stale OpenBLAS variables removed from its own environment only', () => {
    const base = { PATH: '/usr/bin', OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '262144', KEEP: 'me' };
    const env = torchPeerEnv(2, base);
    for (const name of STALE_OPENBLAS_VARS) assert.equal(env[name], undefined, `${name} reached the peer`);
    assert.equal(env.KEEP, 'me');
    assert.equal(env.OPENBLAS_NUM_THREADS, '2', "OpenBLAS's pthread build would otherwise use every core");
    assert.equal(base.OPENBLAS_CORETYPE, 'Haswell', 'the caller’s environment is not changed');
    assert.throws(() => torchPeerEnv(0, base), /positive integer/);
  });

  it('a spawned peer really sees no stale variable, while this process (and every test) keeps them', function () {
    if (!fs.existsSync(PEER_PYTHON)) {
      console.log(`      skipped: ${PEER_PYTHON} is missing`);
      this.skip();
    }
    const saved = Object.fromEntries(STALE_OPENBLAS_VARS.map((k) => [k, process.env[k]]));
    process.env.OPENBLAS_CORETYPE = 'Haswell';
    process.env.OPENBLAS_L2_SIZE = '262144';
    try {
      const r = runTorchPeer('peer_blas.py', [], 1);
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as PeerBlas;
      assert.deepEqual(report.stale_env, { OPENBLAS_CORETYPE: null, OPENBLAS_L2_SIZE: null });
      assert.equal(process.env.OPENBLAS_CORETYPE, 'Haswell');
      assert.equal(process.env.OPENBLAS_L2_SIZE, '262144');
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('prints which BLAS and how many threads the peer used, and warns about the reference BLAS', () => {
    const line = describePeerBlas(openblasReport);
    assert.match(line, /PyTorch peer BLAS: OpenBLAS \(\/usr\/lib\/x86_64-linux-gnu\/openblas-pthread\/libblas\.so\.3; OpenBLAS 0\.3\.21/);
    assert.match(line, /torch threads 1, BLAS threads 1/);
    assert.doesNotMatch(line, /WARNING/);

    const reference = describePeerBlas({ ...openblasReport, library: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', name: 'reference BLAS (netlib, unoptimised)', openblas_config: null, blas_threads: null });
    assert.match(reference, /reference BLAS \(netlib, unoptimised\) \(\/usr\/lib\/x86_64-linux-gnu\/blas\/libblas\.so\.3\)/);
    assert.match(reference, /WARNING: .*install libopenblas0-pthread/);

    const leaked = describePeerBlas({ ...openblasReport, stale_env: { OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: null } });
    assert.match(leaked, /WARNING: the peer saw OPENBLAS_CORETYPE=Haswell/);
  });

  it('the Python side classifies BLAS libraries by the file behind the alternatives symlinks', function () {
    if (!fs.existsSync(PEER_PYTHON)) {
      console.log(`      skipped: ${PEER_PYTHON} is missing`);
      this.skip();
    }
    const code =
      'import json, peer_blas as p; print(json.dumps([p.classify(x) for x in [' +
      "'/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3', '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3', " +
      "'/usr/lib/x86_64-linux-gnu/blis-openmp/libblas.so.3', '/opt/intel/lib/libmkl_rt.so']]))";
    const r = spawnSync(PEER_PYTHON, ['-c', code], { cwd: path.join(ROOT, 'bench'), encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), ['OpenBLAS', 'reference BLAS (netlib, unoptimised)', 'BLIS', 'Intel MKL']);
  });

  it('with torch installed, the sparse peer reports its BLAS library and threads', function () {
    if (spawnSync(PEER_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0) {
      console.log(`      skipped: ${PEER_PYTHON} cannot import torch (scripts/setup.sh --with-torch)`);
      this.skip();
    }
    const cfg = JSON.stringify({ shapes: [[64, 64]], sparsities: [0.9], batches: [1], threads: 1 });
    const r = runTorchPeer('torch_sparse.py', [cfg], 1);
    assert.equal(r.status, 0, r.stderr);
    const res = JSON.parse(r.stdout) as { blas: PeerBlas; threads: number };
    assert.equal(res.threads, 1);
    assert.equal(res.blas.torch_threads, 1);
    assert.ok(res.blas.library || res.blas.torch_build_blas, 'the peer names its BLAS');
    console.log(`      ${describePeerBlas(res.blas).split('\n')[0]}`);
  });
});

describe('scripts/setup.sh --with-torch', () => {
  // Fake dpkg-query (nothing installed) and id (not root): the script stops at the apt-get line
  // it prints, before npm or apt-get could run (fakes of those fail loudly just in case).
  function missingPackagesLine(args: string[]): string {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'prunelab-setup-'));
    try {
      const fake = (name: string, body: string) => fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      fake('dpkg-query', 'exit 1');
      fake('id', 'echo 1000');
      fake('npm', 'echo "npm must not run" >&2; exit 97');
      fake('apt-get', 'echo "apt-get must not run" >&2; exit 98');
      const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'setup.sh'), '--no-run', ...args], {
        env: { PATH: `${bin}:/usr/bin:/bin` },
        encoding: 'utf8',
      });
      assert.equal(r.status, 1, r.stderr);
      const line = r.stderr.split('\n').find((l) => l.includes('apt-get install'));
      assert.ok(line, r.stderr);
      return line;
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  }

  it('installs libopenblas0-pthread with python3-torch, and neither without the flag', () => {
    const withTorch = missingPackagesLine(['--with-torch']);
    assert.match(withTorch, /\bpython3-torch\b/);
    assert.match(withTorch, /\blibopenblas0-pthread\b/);
    const plain = missingPackagesLine([]);
    assert.doesNotMatch(plain, /python3-torch|libopenblas/);
  });
});
