/**
 * The executor registry: an engine that runs trials (the local pool, Slurm, a future
 * Kubernetes one) is one file that implements {@link Executor} and registers a factory here.
 */
import { OptionError } from '../../errors';
import { Registry, type RegistryEntry } from '../../registry';
import type { Executor } from '../types';

/** What an executor is created with. */
export interface ExecutorOptions {
  /** Trials run at the same time (the local pool's processes; a Slurm array's `%limit`). */
  workers?: number;
  /** The engine's own options (Slurm: partition, time limit, CPUs, memory, extra sbatch flags...). */
  [option: string]: unknown;
}

/** Creates an executor. */
export interface ExecutorFactory {
  /** One line for listings. */
  description: string;
  /** Makes an executor for one sweep run. @throws OptionError for options it does not take. */
  create(options: ExecutorOptions): Executor;
}

const executors = new Registry<ExecutorFactory>({
  kind: 'executor',
  validate: (f) => (f && typeof f.create === 'function' ? undefined : 'an executor factory is { description, create(options) => Executor }'),
  hint: 'Register one with pl.sweeps.registerExecutor(name, { description, create }) (see src/sweep/executors/local.ts).',
});

/** Registers an executor factory. @throws OptionError / UserError as Registry.register does. */
export function registerExecutor(name: string, factory: ExecutorFactory, options: { replace?: boolean } = {}): ExecutorFactory {
  return executors.register(name, factory, { replace: options.replace, description: factory?.description });
}

/** Removes an executor factory. @returns whether it existed. */
export function unregisterExecutor(name: string): boolean {
  return executors.unregister(name);
}

/** The registered executors, sorted by name. */
export function listExecutors(): RegistryEntry<ExecutorFactory>[] {
  return executors.list();
}

/** Names of the registered executors. */
export function executorNames(): string[] {
  return executors.names();
}

/**
 * An executor by name (created with `options`), or the given executor object.
 * @throws UnknownNameError listing the known executors.
 */
export function createExecutor(executor: string | Executor, options: ExecutorOptions = {}): Executor {
  if (typeof executor === 'object' && executor !== null) {
    if (typeof executor.run !== 'function' || typeof executor.name !== 'string') {
      throw new OptionError('An executor object needs a name and a run({ dir, trials, onProgress, signal }) method.', 'executor');
    }
    return executor;
  }
  return executors.get(String(executor).trim()).create(options);
}
