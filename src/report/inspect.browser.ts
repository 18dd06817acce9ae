/**
 * The browser build's {@link inspectValue}: Node's `util` is not there, so this writes the same
 * shapes `util.inspect` does for the values notebooks show (strings quoted, `Class { a: 1 }`,
 * `[ 1, 2, ... 8 more items ]`, `[Function: f]`, `Map(1) { 'a' => 1 }`), without colours.
 */
import type { InspectOptions } from './inspect';

export type { InspectOptions } from './inspect';

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}

function key(k: string | symbol): string {
  if (typeof k === 'symbol') return `[${k.toString()}]`;
  return IDENTIFIER.test(k) ? k : quote(k);
}

/** Joins items on one line when they fit within `breakLength`, else one per line, indented. */
function wrap(open: string, items: string[], close: string, indent: string, breakLength: number): string {
  if (!items.length) return `${open.trimEnd()}${close.trimStart()}`;
  const flat = `${open}${items.join(', ')}${close}`;
  if (flat.length + indent.length <= breakLength && !flat.includes('\n')) return flat;
  const inner = indent + '  ';
  return `${open.trimEnd()}\n${items.map((i) => inner + i).join(',\n')}\n${indent}${close.trimStart()}`;
}

function format(value: unknown, depth: number, opts: Required<InspectOptions>, indent: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return value.name ? `[${/^class\s/.test(Function.prototype.toString.call(value)) ? 'class' : 'Function'}: ${value.name}]` : '[Function (anonymous)]';
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (seen.has(obj)) return '[Circular *1]';
  if (obj instanceof Date) return isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
  if (obj instanceof RegExp) return String(obj);
  if (obj instanceof Error) return obj.stack ?? `${obj.name}: ${obj.message}`;
  const ctor = (obj as { constructor?: { name?: string } }).constructor?.name;
  const next = (v: unknown) => format(v, depth - 1, opts, indent + '  ', seen);
  seen.add(obj);
  try {
    if (Array.isArray(obj) || ArrayBuffer.isView(obj)) {
      const arr = obj as ArrayLike<unknown>;
      const prefix = Array.isArray(obj) ? (ctor && ctor !== 'Array' ? `${ctor}(${arr.length}) ` : '') : `${ctor}(${arr.length}) `;
      if (depth < 0) return Array.isArray(obj) ? '[Array]' : `[${ctor}]`;
      const shown = Math.min(arr.length, opts.maxArrayLength);
      const items: string[] = [];
      for (let i = 0; i < shown; i++) items.push(next(arr[i]));
      if (arr.length > shown) items.push(`... ${arr.length - shown} more item${arr.length - shown === 1 ? '' : 's'}`);
      return wrap(`${prefix}[ `, items, ' ]', indent, opts.breakLength);
    }
    if (obj instanceof Map) {
      if (depth < 0) return '[Map]';
      const items = [...obj.entries()].slice(0, opts.maxArrayLength).map(([k, v]) => `${next(k)} => ${next(v)}`);
      return wrap(`Map(${obj.size}) { `, items, ' }', indent, opts.breakLength);
    }
    if (obj instanceof Set) {
      if (depth < 0) return '[Set]';
      const items = [...obj.values()].slice(0, opts.maxArrayLength).map(next);
      return wrap(`Set(${obj.size}) { `, items, ' }', indent, opts.breakLength);
    }
    if (obj instanceof Promise) return 'Promise { <pending> }';
    const name = ctor === undefined ? '[Object: null prototype] ' : ctor === 'Object' ? '' : `${ctor} `;
    if (depth < 0) return `[${ctor ?? 'Object'}]`;
    const items = Reflect.ownKeys(obj)
      .filter((k) => Object.getOwnPropertyDescriptor(obj, k)?.enumerable)
      .map((k) => `${key(k)}: ${next((obj as Record<string | symbol, unknown>)[k])}`);
    return wrap(`${name}{ `, items, ' }', indent, opts.breakLength);
  } finally {
    seen.delete(obj);
  }
}

/** The text of a value in `util.inspect`'s layout, without colours. */
export function inspectValue(value: unknown, options: InspectOptions): string {
  const opts: Required<InspectOptions> = { maxArrayLength: 100, breakLength: 80, ...options };
  return format(value, opts.depth, opts, '', new Set());
}
