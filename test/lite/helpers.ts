/** The built site (build/lite) for the browser-edition tests: rebuilt when stale, served by lite:serve's script. */
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../kernel/helpers';

/** Debian's chromium, or PRUNELAB_CHROMIUM. */
export const CHROMIUM = process.env.PRUNELAB_CHROMIUM ?? '/usr/bin/chromium';
/** Where `npm run lite` builds the site. */
export const SITE = path.join(ROOT, 'build', 'lite');

/** What the site is built from: a file here (but docs) newer than the site means the site is stale. */
const SOURCES = ['lite', 'kernel', 'src'].map((d) => path.join(ROOT, d));
const NOT_SOURCES = new Set(['node_modules', 'build', '.gen'].map((d) => path.join(ROOT, 'lite', d)));

function newestSource(dir: string, best = { file: '', mtime: 0 }): { file: string; mtime: number } {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!NOT_SOURCES.has(p)) newestSource(p, best);
    } else if (e.isFile() && !e.name.endsWith('.md')) {
      const mtime = fs.statSync(p).mtimeMs;
      if (mtime > best.mtime) Object.assign(best, { file: p, mtime });
    }
  }
  return best;
}

/** Null when build/lite is there and current (rebuilt here if stale), else why not. */
export function ensureSite(): string | null {
  // jupyter-lite.json is the build's last write (scripts/postbuild.mjs)
  const stamp = path.join(SITE, 'jupyter-lite.json');
  if (!fs.existsSync(stamp)) return `${path.relative(ROOT, SITE)} not found: run \`npm run lite\` (npm run setup does it)`;
  const newest = SOURCES.reduce((best, d) => newestSource(d, best), { file: '', mtime: 0 });
  if (newest.mtime <= fs.statSync(stamp).mtimeMs) return null;
  console.log(`      ${path.relative(ROOT, newest.file)} is newer than the site: rebuilding (node scripts/lite.js build --no-install)`);
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'lite.js'), 'build', '--no-install'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status === 0) return null;
  const why = `${r.stderr}`.trim().split('\n').pop();
  if (/node_modules|not installed|lockfile/.test(why ?? '')) return `the site is stale and cannot be rebuilt: ${why}`;
  throw new Error(`rebuilding the site failed:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`);
}

/** `npm run lite:serve`'s script on a free port; resolves with its base URL once it listens. */
export function startServer(): Promise<{ server: ChildProcess; base: string }> {
  const server = spawn(process.execPath, [path.join(ROOT, 'scripts', 'lite.js'), 'serve', '--port', '0'], { cwd: ROOT });
  let log = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`lite:serve printed no URL in 30 s:\n${log}`)), 30_000);
    const onData = (d: Buffer) => {
      log += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve({ server, base: `http://127.0.0.1:${m[1]}` });
      }
    };
    server.stdout!.on('data', onData);
    server.stderr!.on('data', onData);
    server.once('exit', (code) => reject(new Error(`lite:serve exited (${code}):\n${log}`)));
  });
}


/** Stops a server started by {@link startServer} and waits for it to exit. */
export async function stopServer(server: ChildProcess | null): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGTERM');
  await exited;
}
