/**
 * A test that registers something (a criterion, a magic, a dataset...) must remove it again, or
 * later tests see a registry that depends on which tests ran before. test/setup.ts snapshots
 * every registry before the run and fails the run when an entry was added, removed or replaced
 * and not put back.
 */
import { allRegistries, type Registry } from '../src/registry';

/** Every registry's entries (name → item) at one moment. */
export type RegistrySnapshot = Map<Registry<unknown>, Map<string, unknown>>;

/** The entries of every registry that exists now. */
export function registrySnapshot(): RegistrySnapshot {
  return new Map(allRegistries().map((r) => [r, new Map(r.list().map((e) => [e.name, e.item]))]));
}

/**
 * What changed since `before` in the registries it holds (registries made later, e.g. by a test
 * of the Registry class itself, are not compared).
 *
 * @returns one line per change, e.g. `criterion 'test-x' was added`; empty when nothing changed.
 */
export function registryChanges(before: RegistrySnapshot): string[] {
  const changes: string[] = [];
  for (const [registry, entries] of before) {
    const now = new Map(registry.list().map((e) => [e.name, e.item]));
    for (const name of now.keys()) if (!entries.has(name)) changes.push(`${registry.kind} '${name}' was added`);
    for (const [name, item] of entries) {
      if (!now.has(name)) changes.push(`${registry.kind} '${name}' was removed`);
      else if (now.get(name) !== item) changes.push(`${registry.kind} '${name}' was replaced`);
    }
  }
  return changes;
}
