/** Shared by the sweep tests: temporary directories and a user trial module with scripted faults. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A fresh temporary directory (removed by {@link cleanup}). */
export function tempDir(prefix = 'prunelab-sweep-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Removes temporary directories. */
export function cleanup(dirs: string[]): void {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/**
 * A user trial module (CommonJS), `fault.js#trial`. Each run appends its id to `<dir>/runs.txt`.
 * Trial `index` = `throwAt` throws; = `killAt` SIGKILLs its own worker the first time (a marker
 * file remembers); = `hangAt` sleeps for a minute the first time (after writing its pid to `hang-<id>`), or until its signal aborts;
 * = `returnAt` also waits the first time, but returns its metrics when the signal aborts (as a trial
 * that hands its signal to `train` would); = `exitAt` exits its worker with code 7; every trial sleeps `sleep` seconds and returns `{ double: 2 * index, pid }`.
 */
const FAULT_MODULE = `
const fs = require('fs');
const path = require('path');
const sleep = (s) => new Promise((r) => setTimeout(r, s * 1000));
exports.trial = {
  description: 'a test trial with scripted faults',
  fields: [
    { name: 'index', type: 'int', help: 'which trial' },
    { name: 'throwAt', type: 'int', default: -1, help: 'this index throws' },
    { name: 'killAt', type: 'int', default: -1, help: 'this index kills its worker the first time' },
    { name: 'hangAt', type: 'int', default: -1, help: 'this index hangs the first time' },
    { name: 'returnAt', type: 'int', default: -1, help: 'this index waits the first time and returns when stopped' },
    { name: 'exitAt', type: 'int', default: -1, help: 'this index exits its worker with code 7' },
    { name: 'sleep', type: 'number', default: 0, help: 'seconds every trial takes' },
  ],
  async run(config, ctx) {
    fs.appendFileSync(path.join(ctx.dir, 'runs.txt'), ctx.id + '\\n');
    ctx.log('running index ' + config.index);
    const marker = path.join(ctx.dir, 'marker-' + ctx.id);
    if (config.index === config.throwAt) throw new RangeError('boom at index ' + config.index);
    if (config.index === config.exitAt) process.exit(7);
    if (config.index === config.killAt && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, 'killed once');
      process.kill(process.pid, 'SIGKILL');
      await sleep(10);
    }
    if (config.index === config.hangAt && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, 'hung once');
      fs.writeFileSync(path.join(ctx.dir, 'hang-' + ctx.id), String(process.pid));
      await Promise.race([sleep(60), new Promise((r) => ctx.signal.addEventListener('abort', r))]);
      if (ctx.signal.aborted) throw new Error('stopped by the signal');
    }
    if (config.index === config.returnAt && !fs.existsSync(marker)) {
      fs.writeFileSync(marker, 'waited once');
      fs.writeFileSync(path.join(ctx.dir, 'hang-' + ctx.id), String(process.pid));
      await Promise.race([sleep(60), new Promise((r) => ctx.signal.addEventListener('abort', r))]);
      return { double: 2 * config.index, pid: process.pid, partial: true };
    }
    await sleep(config.sleep);
    return { double: 2 * config.index, pid: process.pid };
  },
};
`;

/** Writes the fault module into `dir`. @returns its path. */
export function writeFaultModule(dir: string): string {
  const file = path.join(dir, 'fault.js');
  fs.writeFileSync(file, FAULT_MODULE);
  return file;
}

/** How many times each trial id started (from runs.txt). */
export function runCounts(dir: string): Map<string, number> {
  const file = path.join(dir, 'runs.txt');
  const counts = new Map<string, number>();
  if (!fs.existsSync(file)) return counts;
  for (const id of fs.readFileSync(file, 'utf8').split('\n').filter(Boolean)) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** Resolves when `test()` holds, polling every 50 ms; rejects after `ms`. */
export async function waitFor(test: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
