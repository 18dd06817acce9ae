// Downloads against a local HTTP server on 127.0.0.1 (no internet needed).
import { strict as assert } from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';
import { ChecksumMismatchError, downloadFile, loadDataset, registerIdxDataset, sha256Hex, unregisterDataset } from '../../src/data';
import { setAmbientSignalSource } from '../../src/interrupt';
import { cleanupTempDirs, isolatedEnv, makeIdxDataset, rejection, tempDir, withEnv } from './helpers';

describe('data/download: verified downloads from a local server', () => {
  let server: http.Server;
  let base = '';
  const routes = new Map<string, (res: http.ServerResponse) => void>();
  let hits: string[] = [];

  before(async () => {
    server = http.createServer((req, res) => {
      hits.push(req.url ?? '');
      const route = routes.get(req.url ?? '');
      if (route) route(res);
      else {
        res.statusCode = 404;
        res.end('not found');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    cleanupTempDirs();
  });
  beforeEach(() => {
    hits = [];
    routes.clear();
  });

  const body = Buffer.from('the payload '.repeat(1000));
  const serve = (url: string, bytes: Buffer) => routes.set(url, (res) => res.end(bytes));

  it('downloads, follows a redirect, and verifies the SHA-256 before the file appears', async () => {
    serve('/file.bin', body);
    routes.set('/old', (res) => {
      res.writeHead(302, { location: '/file.bin' });
      res.end();
    });
    const dest = path.join(tempDir(), 'sub', 'file.bin');
    const result = await downloadFile(`${base}/old`, dest, { sha256: sha256Hex(body) });
    assert.deepEqual(fs.readFileSync(dest), body);
    assert.equal(result.sha256, sha256Hex(body));
    assert.equal(result.bytes, body.length);
    assert.deepEqual(hits, ['/old', '/file.bin']);
  });

  it('a wrong checksum rejects the download and leaves no file behind', async () => {
    serve('/file.bin', body);
    const dir = tempDir();
    const dest = path.join(dir, 'file.bin');
    const err = await rejection(downloadFile(`${base}/file.bin`, dest, { sha256: 'a'.repeat(64) }));
    assert.ok(err instanceof ChecksumMismatchError);
    assert.match(err.message, new RegExp(`expected SHA-256 a{64}, found ${sha256Hex(body)}`));
    assert.ok(err.message.includes(`${base}/file.bin`), 'names the URL');
    assert.deepEqual(fs.readdirSync(dir), [], 'neither the file nor a temporary file is left');
  });

  it('HTTP errors and truncated transfers are errors', async () => {
    const dir = tempDir();
    await assert.rejects(downloadFile(`${base}/missing`, path.join(dir, 'x')), /HTTP 404/);
    routes.set('/short', (res) => {
      res.writeHead(200, { 'content-length': String(body.length + 100) });
      res.end(body);
      res.socket?.destroy(); // the server dies mid-transfer
    });
    const err = await rejection(downloadFile(`${base}/short`, path.join(dir, 'y')));
    assert.match(err.message, /aborted|Truncated download|socket hang up|ECONNRESET|premature/i);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('the ambient signal (an interrupted notebook cell) stops a stalled download and leaves no file', async () => {
    let sockets = 0;
    routes.set('/slow', (res) => {
      sockets++;
      res.writeHead(200, { 'content-length': String(body.length * 2) });
      res.write(body); // half the body, then nothing: only an abort ends this download
    });
    const dir = tempDir();
    const controller = new AbortController();
    setAmbientSignalSource(() => controller.signal);
    try {
      const pending = rejection(downloadFile(`${base}/slow`, path.join(dir, 'z'), { timeoutMs: 60000 }));
      setTimeout(() => controller.abort(new Error('interrupted')), 200);
      const started = Date.now();
      const err = await pending;
      assert.equal(err.name, 'KeyboardInterrupt');
      assert.match(err.message, /download of .*\/slow interrupted after \d+ bytes; nothing was saved/);
      assert.ok(Date.now() - started < 5000, 'stopped at once, not at the 60 s stall timeout');
    } finally {
      setAmbientSignalSource(null);
    }
    assert.equal(sockets, 1);
    assert.deepEqual(fs.readdirSync(dir), [], 'no partial file is left');
  });

  it('loadDataset downloads a missing dataset into the cache (verified) and then reads it from there', async () => {
    const made = makeIdxDataset('test-download', undefined, `${base}/ds`);
    for (const [name, bytes] of Object.entries(made.files)) serve(`/ds/${name}`, bytes);
    registerIdxDataset(made.manifest);
    try {
      const cache = tempDir();
      const env = { ...isolatedEnv(cache), PRUNELAB_OFFLINE: undefined };
      const ds = await withEnv(env, () => loadDataset('test-download'));
      const cached = path.join(cache, 'prunelab', 'datasets', 'test-download');
      assert.equal(ds.source, cached);
      assert.deepEqual(Array.from(ds.train.y), made.trainLabels);
      assert.equal(hits.length, 4);
      assert.deepEqual(fs.readdirSync(cached).sort(), Object.keys(made.files).sort());
      const again = await withEnv(env, () => loadDataset('test-download'));
      assert.equal(again.source, cached);
      assert.equal(hits.length, 4, 'served from the cache the second time');

      // A server that sends the wrong bytes: the download is rejected and reported.
      const otherCache = tempDir();
      serve('/ds/train-labels-idx1-ubyte.gz', made.files['t10k-labels-idx1-ubyte.gz']);
      const err = await withEnv({ ...env, XDG_CACHE_HOME: otherCache }, () => rejection(loadDataset('test-download')));
      assert.match(err.message, /download into .* failed: could not download train-labels-idx1-ubyte\.gz/);
      assert.match(err.message, /Checksum mismatch for .*train-labels-idx1-ubyte\.gz \(downloaded from http:\/\/127\.0\.0\.1/);
      assert.ok(!fs.existsSync(path.join(otherCache, 'prunelab', 'datasets', 'test-download', 'train-labels-idx1-ubyte.gz')));
      // With downloads disabled nothing is fetched.
      hits = [];
      await withEnv({ ...env, XDG_CACHE_HOME: tempDir() }, () => assert.rejects(loadDataset('test-download', { download: false }), /download: not tried/));
      assert.deepEqual(hits, []);
    } finally {
      unregisterDataset('test-download');
    }
  });

  it('a cache directory that cannot be created (under /proc) fails at once, naming it, instead of hanging', () => {
    // In a child with a time limit: node's recursive mkdir loops forever on procfs.
    const download = path.resolve(__dirname, '..', '..', 'src', 'data', 'download.js');
    const script = `require(${JSON.stringify(download)}).downloadFile('http://127.0.0.1:9/x', '/proc/nope/cache/x.gz')
      .then(() => console.log('downloaded?!'), (err) => console.log(err.message));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.signal, null, 'the download hung creating its directory');
    assert.match(r.stdout, /Cannot create directory \/proc\/nope.*refuses new entries/);
  });
});
