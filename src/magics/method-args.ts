/**
 * The options of pruning methods as magic flags: each method declares its options once
 * (`PruningMethod.options`), and `%prune`/`%finetune` parse, validate, complete and document
 * them from those declarations (`--drop-fraction 0.2` for `dropFraction`).
 */
import { listMethods, type OptionSpec } from '../prune';
import { camelCase, formatOptionValue, kebabCase } from '../prune/method-options';
import type { ArgSpec, ArgType, ParsedArgs } from './args';
import { MagicArgumentError } from './args';

const ARG_TYPE: Record<OptionSpec['type'], ArgType> = {
  number: 'number', int: 'int', boolean: 'boolean', string: 'string', list: 'list', schedule: 'string',
};

/**
 * One flag per method option, for the methods `which` selects; an option name shared by
 * several methods is one flag whose help names them all (its type must agree).
 */
export function methodArgSpecs(which: 'one-shot' | 'training'): ArgSpec[] {
  const byFlag = new Map<string, { spec: OptionSpec; methods: string[] }>();
  for (const m of listMethods()) {
    if (which === 'one-shot' ? !m.oneShot : !m.training) continue;
    for (const o of m.options) {
      const flag = kebabCase(o.name);
      const seen = byFlag.get(flag);
      if (seen && seen.spec.type === o.type) seen.methods.push(m.name);
      else if (!seen) byFlag.set(flag, { spec: o, methods: [m.name] });
    }
  }
  return [...byFlag].map(([flag, { spec, methods }]) => ({
    name: flag,
    type: ARG_TYPE[spec.type],
    help: `[${methods.join(', ')}] ${spec.help}${methods.length === 1 && spec.default !== undefined ? ` (default ${formatOptionValue(spec.default)})` : ''}.`,
    ...(spec.choices ? { choices: spec.choices } : {}),
    metavar: spec.type === 'schedule' ? 'SCHEDULE' : undefined,
    // a boolean not given is left to the method's default (rigl's skipUpdate defaults to true)
    ...(spec.type === 'boolean' ? { unsetWhenAbsent: true } : {}),
  }));
}

/**
 * The values of the chosen method's flags, keyed by its option names; a flag of another method
 * is an error naming whose it is and the chosen method's flags.
 *
 * @param declared the magic's own argument names (not method options).
 */
export function methodOptionsFromArgs(
  magic: string, which: 'one-shot' | 'training', method: string | undefined, args: ParsedArgs, declared: ReadonlySet<string>, usage: string,
): Record<string, unknown> {
  const own = (method !== undefined && listMethods().find((m) => m.name === method)?.options) || [];
  const ownFlags = new Set(own.map((o) => kebabCase(o.name)));
  const out: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(args)) {
    if (declared.has(flag) || value === undefined) continue;
    if (!ownFlags.has(flag)) {
      const owners = listMethods()
        .filter((m) => (which === 'one-shot' ? m.oneShot : m.training) && m.options.some((o) => kebabCase(o.name) === flag))
        .map((m) => m.name);
      if (method === undefined) {
        throw new MagicArgumentError(`%${magic}: --${flag} is an option of method ${owners.join(', ')}; choose the method too (--method ${owners[0]}).`, usage);
      }
      const flags = [...ownFlags].map((f) => `--${f}`).join(', ');
      throw new MagicArgumentError(
        `%${magic}: --${flag} is an option of ${owners.join(', ') || 'no method'}, not of '${method}'. ` +
          (flags ? `Options of '${method}': ${flags}.` : `'${method}' has no options of its own.`),
        usage,
      );
    }
    out[camelCase(flag)] = value;
  }
  return out;
}

/** The `Methods:` lines of a magic's help: each method of the kind with its description, aligned. */
export function methodListing(which: 'one-shot' | 'training'): string {
  const methods = listMethods().filter((m) => (which === 'one-shot' ? m.oneShot : m.training));
  const width = Math.max(0, ...methods.map((m) => m.name.length));
  return methods.map((m) => `  ${m.name.padEnd(width)}  ${m.description}`).join('\n');
}

/** The `extraArgs` of a magic that takes the options of the methods of one kind. */
export function methodExtraArgs(which: 'one-shot' | 'training'): { heading: string; specs: () => ArgSpec[] } {
  return { heading: 'Method options (declared by each method; --name value)', specs: () => methodArgSpecs(which) };
}
