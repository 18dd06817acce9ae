/**
 * Entry point of the prunelab kernel: `node build/kernel/main.js <connection_file>` (what the
 * kernelspec's argv runs). Starts tslab's executor (wrapped) and ZeroMQ server; tslab's own
 * `startKernel` is not used.
 */
const loadStart = Date.now();
import '../src/magics/builtins';
import { PrunelabExecutor } from './executor';
import { kernelLog, PrunelabHandler, PrunelabServer } from './server';

/**
 * The interrupt grace period from PRUNELAB_INTERRUPT_GRACE_MS (milliseconds an interrupted cell
 * gets to stop by itself before its timers are cancelled), or undefined for the default.
 */
export function interruptGraceFromEnv(value = process.env.PRUNELAB_INTERRUPT_GRACE_MS): number | undefined {
  if (value === undefined || value === '') return undefined;
  const ms = Number(value);
  if (!Number.isFinite(ms) || ms < 0) {
    kernelLog(`ignoring PRUNELAB_INTERRUPT_GRACE_MS=${value}: it must be a number of milliseconds ≥ 0; using the default`);
    return undefined;
  }
  return ms;
}

/** Starts a kernel on the connection file; resolves once its sockets are bound. */
export async function startKernel(connectionFile: string): Promise<PrunelabServer> {
  if (process.env.PRUNELAB_KERNEL_TIMING) process.stderr.write(`[prunelab timing] modules ${Date.now() - loadStart} ms (process up ${Math.round(process.uptime() * 1000)} ms)\n`);
  const executor = new PrunelabExecutor({ interruptGraceMs: interruptGraceFromEnv() });
  const server = new PrunelabServer(new PrunelabHandler(executor), connectionFile);
  // Jupyter interrupts with SIGINT (interrupt_mode "signal"): stop the running cell, keep the process.
  process.on('SIGINT', () => executor.interrupt());
  // Errors from callbacks that outlive their cell go to the cell's stderr (like tslab), never kill the kernel.
  process.on('uncaughtException', (err) => console.error('Uncaught exception:', err));
  process.on('unhandledRejection', (reason) => console.error('Unhandled promise rejection:', reason));
  await server.init();
  executor.start().catch((e) => kernelLog(`prelude failed: ${(e as Error).message}`));
  return server;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node build/kernel/main.js <connection_file>\n(Jupyter starts this through the prunelab kernelspec.)\n');
    process.exit(2);
  }
  startKernel(file).catch((e) => {
    kernelLog(`failed to start: ${(e as Error).stack ?? e}`);
    process.exit(1);
  });
}
