/**
 * A second, separately loaded copy of a module (as tslab can load one for a notebook cell's
 * `pl`): classes of the copy are other objects than the originals, so `instanceof` fails across
 * the two. The module cache is left as it was.
 */
export function freshModuleCopy<T>(file: string): T {
  const saved = require.cache[file];
  delete require.cache[file];
  try {
    return require(file) as T;
  } finally {
    require.cache[file] = saved;
  }
}
