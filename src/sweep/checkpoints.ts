/**
 * Dense checkpoints shared by the trials of a sweep: every pruned variant of a (model, data,
 * dense recipe, seed) starts from the same trained dense weights, as in the notebooks, so the
 * dense model is trained once and saved under `<dir>/checkpoints/<hash>/` (model.json,
 * weights.bin, meta.json).
 *
 * Workers run at the same time, so a checkpoint is created under a lock file taken with
 * O_EXCL (`<hash>.lock`): one worker trains, the others wait for the directory to appear. The
 * checkpoint is written to a temporary directory and renamed into place, so a reader never sees
 * half of one. A lock whose owner died (same host: its process is gone; another host: no
 * heartbeat for a while) is taken over.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/types';
import type { DataNormalize } from '../experiments/data';
import { trainDense, type TrainRecipe } from '../experiments/runs';
import { MaskedModel } from '../prune/masked-model';
import { ensureDir, readJsonFile, writeFileAtomic } from '../io/files';
import { loadModelFromDir, saveModelToDir } from '../prune/model-io';
import { InterruptedError } from '../interrupt';
import type { History } from '../train';
import { packageVersion, shortHash } from './ids';

/** What identifies a dense model. */
export interface DenseKey {
  /** Model registry name. */
  model: string;
  /** Dataset registry name. */
  dataset: string;
  /** Training examples kept (all when absent). */
  trainSubset?: number;
  /** Test examples kept (all when absent). */
  testSubset?: number;
  /** Input scaling other than `unit` (absent for [0, 1]). */
  normalize?: DataNormalize;
  /** The dense training recipe. */
  recipe: TrainRecipe;
  /** Initialisation and data-order seed. */
  seed: number;
}

/** A dense model from the cache (or just trained into it). */
export interface DenseCheckpoint {
  /** The trained model (the caller disposes it). */
  model: tf.LayersModel;
  /** Its test accuracy. */
  accuracy: number;
  /** True when it was loaded, false when this call trained it. */
  cached: boolean;
  /** Seconds the training took (when it was trained, by whichever trial). */
  trainSeconds: number;
  /** The dense training's history. */
  history: History;
  /** The checkpoint directory. */
  dir: string;
}

/** Seconds after which a lock of another host without heartbeat counts as abandoned. */
const STALE_LOCK_SECONDS = 120;
/** How often the owner of a lock touches it. */
const HEARTBEAT_MS = 5000;
/** How often a waiting worker looks again. */
const POLL_MS = 200;

/**
 * The dense checkpoint cache of a sweep: `<dir>/checkpoints`, or the directory its spec names
 * (`checkpoints`, another sweep's cache; relative paths are relative to `sweepDir`).
 */
export function checkpointsRoot(sweepDir: string): string {
  let named: unknown;
  try {
    named = (readJsonFile(path.join(sweepDir, 'spec.json'), 'sweep spec') as { checkpoints?: unknown }).checkpoints;
  } catch {
    named = undefined; // no spec (a bare cache directory), or one that readSpec reports elsewhere
  }
  return typeof named === 'string' ? path.resolve(sweepDir, named) : path.join(sweepDir, 'checkpoints');
}

/** The checkpoint directory of a dense model in a sweep's checkpoint cache. */
export function checkpointDir(sweepDir: string, key: DenseKey): string {
  const hash = shortHash({ ...key, version: packageVersion() });
  return path.join(checkpointsRoot(sweepDir), hash);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether a lock file was left by a process that is gone. */
function lockIsStale(lock: string): boolean {
  let owner: { pid?: number; host?: string };
  let stat: fs.Stats;
  try {
    stat = fs.statSync(lock);
    owner = JSON.parse(fs.readFileSync(lock, 'utf8') || '{}');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // released meanwhile
    // written but not yet filled by its owner: judge by age alone
    try {
      return Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_SECONDS * 1000;
    } catch {
      return false;
    }
  }
  if (owner.host === os.hostname() && typeof owner.pid === 'number') return !processAlive(owner.pid);
  return Date.now() - stat.mtimeMs > STALE_LOCK_SECONDS * 1000;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

async function load(dir: string): Promise<DenseCheckpoint> {
  const meta = readJsonFile(path.join(dir, 'meta.json'), 'dense checkpoint metadata') as { accuracy: number; trainSeconds: number; history: History };
  const model = await loadModelFromDir(dir);
  return { model, accuracy: meta.accuracy, cached: true, trainSeconds: meta.trainSeconds, history: meta.history, dir };
}

/**
 * The trained dense model of `key`: loaded from the sweep's checkpoint cache, or trained (once,
 * whatever the number of workers asking) and saved there.
 *
 * @param sweepDir the sweep's results directory.
 * @param key what identifies the dense model.
 * @param data the dataset of `key` (already loaded).
 * @param o `log` for progress lines, `signal` to stop waiting, `trainedBy` (the trial id) for the metadata.
 */
export async function denseCheckpoint(
  sweepDir: string,
  key: DenseKey,
  data: Dataset,
  o: { log: (line: string) => void; signal?: AbortSignal; trainedBy?: string },
): Promise<DenseCheckpoint> {
  const dir = checkpointDir(sweepDir, key);
  const lock = `${dir}.lock`;
  const done = () => fs.existsSync(path.join(dir, 'meta.json'));
  ensureDir(path.dirname(dir), 'the dense checkpoints');
  let announced = false;
  for (;;) {
    if (o.signal?.aborted) throw new InterruptedError(`Stopped while waiting for the dense model ${dir}.`);
    if (done()) return load(dir);
    let fd: number;
    try {
      fd = fs.openSync(lock, 'wx');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (lockIsStale(lock)) {
        // rename is atomic: of several waiters that judge the lock stale, one takes it away
        const aside = `${lock}.stale-${process.pid}-${Date.now()}`;
        try {
          fs.renameSync(lock, aside);
          fs.rmSync(aside, { force: true });
          o.log(`dense model ${path.basename(dir)}: its trainer stopped without finishing; training it here`);
        } catch {
          /* another waiter took it */
        }
        continue;
      }
      if (!announced) {
        o.log(`dense model ${path.basename(dir)} (seed ${key.seed}) is being trained by another trial; waiting for it`);
        announced = true;
      }
      await sleep(POLL_MS, o.signal);
      continue;
    }
    fs.writeSync(fd, JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), trial: o.trainedBy }));
    fs.closeSync(fd);
    const heartbeat = setInterval(() => {
      const now = new Date();
      try {
        fs.utimesSync(lock, now, now);
      } catch {
        /* the lock was taken away as stale: the rename below then finds the checkpoint or wins */
      }
    }, HEARTBEAT_MS);
    heartbeat.unref();
    try {
      if (done()) return load(dir); // finished between our check and the lock
      o.log(`training the dense ${key.model} of seed ${key.seed} on ${key.dataset} (checkpoint ${path.basename(dir)})`);
      const t0 = Date.now();
      const run = await trainDense(key.model, data, key.recipe, key.seed, o.log);
      const trainSeconds = (Date.now() - t0) / 1000;
      const tmp = `${dir}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      await saveModelToDir(run.model, tmp);
      writeFileAtomic(
        path.join(tmp, 'meta.json'),
        JSON.stringify({ key, version: packageVersion(), accuracy: run.accuracy, trainSeconds, history: run.history, trainedBy: o.trainedBy ?? null, createdAt: new Date().toISOString() }, null, 1),
        'dense checkpoint metadata',
      );
      try {
        fs.renameSync(tmp, dir);
      } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        if (!done()) throw e;
        // someone who took over a lock they judged stale finished first: theirs is as good
      }
      run.weights.forEach((w) => w.dispose());
      return { model: run.model, accuracy: run.accuracy, cached: false, trainSeconds, history: run.history, dir };
    } finally {
      clearInterval(heartbeat);
      fs.rmSync(lock, { force: true });
    }
  }
}

/** Frees a checkpoint's model. */
export function disposeCheckpoint(c: DenseCheckpoint): void {
  MaskedModel.existing(c.model)?.strip();
  c.model.dispose();
}
