// Backend choice: PRUNELAB_BACKEND, initBackend(name), unknown names, the one-time announcement,
// and the clear error for 'tensorflow' where @tensorflow/tfjs-node is not installed.
import * as assert from 'assert';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs';
import { BACKEND_PREFERENCE, currentBackend, initBackend } from '../../src/backend';
import { wasmUnavailableReason } from './helpers';

/** Whether @tensorflow/tfjs-node resolves from src/backend (it cannot install on this machine). */
function tfjsNodeInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node', { paths: [path.join(__dirname, '../../src/backend')] });
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` with console.log captured; returns the lines that announce a backend. */
async function announcements(fn: () => Promise<unknown>): Promise<string[]> {
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(' ');
    if (line.startsWith('prunelab: using')) lines.push(line);
    else original(...args);
  };
  try {
    await fn();
  } finally {
    console.log = original;
  }
  return lines;
}

describe('backend: selection', function () {
  let previous = '';
  let envBefore: string | undefined;

  beforeEach(function () {
    previous = tf.getBackend();
    envBefore = process.env.PRUNELAB_BACKEND;
  });

  afterEach(async function () {
    if (envBefore === undefined) delete process.env.PRUNELAB_BACKEND;
    else process.env.PRUNELAB_BACKEND = envBefore;
    await announcements(() => tf.setBackend(previous));
  });

  it('PRUNELAB_BACKEND picks the backend (case and spaces ignored)', async function () {
    process.env.PRUNELAB_BACKEND = ' CPU ';
    await announcements(async () => assert.strictEqual(await initBackend(), 'cpu'));
    assert.strictEqual(currentBackend(), 'cpu');
  });

  it('initBackend(name) overrides PRUNELAB_BACKEND', async function () {
    process.env.PRUNELAB_BACKEND = 'wasm';
    await announcements(async () => assert.strictEqual(await initBackend('cpu'), 'cpu'));
    assert.strictEqual(tf.getBackend(), 'cpu');
  });

  it('an unknown name is rejected with the known names, from the API and from the environment', async function () {
    await announcements(() => initBackend('cpu'));
    await assert.rejects(initBackend('gpu'), (e: Error) => {
      assert.match(e.message, /Unknown backend 'gpu'/);
      for (const name of BACKEND_PREFERENCE) assert.ok(e.message.includes(name), `lists ${name}`);
      return true;
    });
    process.env.PRUNELAB_BACKEND = 'webgpu';
    await assert.rejects(initBackend(), /Unknown backend 'webgpu'.*tensorflow, wasm, cpu/);
    assert.strictEqual(tf.getBackend(), 'cpu', 'the active backend is unchanged');
  });

  it('announces the choice once, and again only when it changes', async function () {
    await announcements(() => initBackend('cpu'));
    const repeated = await announcements(async () => {
      await initBackend('cpu');
      await initBackend('cpu');
      process.env.PRUNELAB_BACKEND = 'cpu';
      await initBackend();
    });
    assert.deepStrictEqual(repeated, [], 'no announcement while the backend stays the same');
    if ((await wasmUnavailableReason()) === null) {
      await tf.setBackend('cpu');
      const switched = await announcements(async () => {
        await initBackend('wasm');
        await initBackend('wasm');
      });
      assert.deepStrictEqual(switched, ["prunelab: using the 'wasm' backend"]);
    } else {
      console.log('      (switch part skipped: wasm cannot load here)');
    }
  });

  it("'tensorflow' without @tensorflow/tfjs-node fails clearly and keeps the current backend", async function () {
    if (tfjsNodeInstalled()) {
      console.log('      skipped: @tensorflow/tfjs-node is installed here, so tensorflow can load');
      this.skip();
    }
    await announcements(() => initBackend('cpu'));
    await assert.rejects(initBackend('tensorflow'), (e: Error) => {
      assert.match(e.message, /Backend 'tensorflow' could not be loaded here/);
      assert.match(e.message, /Cannot find module '@tensorflow\/tfjs-node'/, 'names the cause');
      assert.match(e.message, /@tensorflow\/tfjs-node/);
      assert.match(e.message, /'wasm'/, 'suggests the fallback');
      return true;
    });
    assert.strictEqual(tf.getBackend(), 'cpu');
  });

  it('with no preference, falls back past tensorflow to the best backend that loads', async function () {
    if (tfjsNodeInstalled()) {
      console.log('      skipped: @tensorflow/tfjs-node is installed here, so tensorflow would be chosen');
      this.skip();
    }
    delete process.env.PRUNELAB_BACKEND;
    const expected = (await wasmUnavailableReason()) === null ? 'wasm' : 'cpu';
    await tf.setBackend('cpu');
    await announcements(async () => assert.strictEqual(await initBackend(), expected));
    assert.strictEqual(tf.getBackend(), expected);
  });
});
