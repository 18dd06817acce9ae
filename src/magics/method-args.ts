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
  const byFlag = new Map<string, { spec: OptionSpec; methods: string[]; defaults: (OptionSpec['default'])[]; types: Set<OptionSpec['type']> }>();
  for (const m of listMethods()) {
    if (which === 'one-shot' ? !m.oneShot : !m.training) continue;
    for (const o of m.options) {
      const flag = kebabCase(o.name);
      const seen = byFlag.get(flag);
      if (seen) {
        seen.methods.push(m.name);
        seen.defaults.push(o.default);
        seen.types.add(o.type);
      } else byFlag.set(flag, { spec: o, methods: [m.name], defaults: [o.default], types: new Set([o.type]) });
    }
  }
  const defaultsText = (methods: string[], defaults: (OptionSpec['default'])[]): string => {
    if (defaults.every((d) => d === undefined)) return '';
    if (defaults.every((d) => JSON.stringify(d) === JSON.stringify(defaults[0]))) return ` (default ${formatOptionValue(defaults[0]!)})`;
    // one flag, several methods, different defaults: say each method's
    return ` (default: ${methods.map((m, i) => `${m} ${defaults[i] === undefined ? 'none' : formatOptionValue(defaults[i]!)}`).join(', ')})`;
  };
  return [...byFlag].map(([flag, { spec, methods, defaults, types }]): ArgSpec => {
    if (types.size > 1) {
      // methods declare this option with different types: the flag takes text, and the chosen
      // method's own type reads it (methodOptionsFromArgs), so each method keeps its declaration
      return { name: flag, type: 'string', metavar: 'VALUE', help: `[${methods.join(', ')}] ${spec.help} (a ${[...types].join(' or ')}, as the method declares it)${defaultsText(methods, defaults)}.` };
    }
    return {
      name: flag,
      type: ARG_TYPE[spec.type],
      help: `[${methods.join(', ')}] ${spec.help}${defaultsText(methods, defaults)}.`,
      ...(spec.choices ? { choices: spec.choices } : {}),
      metavar: spec.type === 'schedule' ? 'SCHEDULE' : undefined,
      // absent means the chosen method's own default, which differs between methods
      ...(spec.type === 'boolean' ? { undefinedWhenAbsent: true } : {}),
    };
  });
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
    if (declared.has(flag) || value === undefined) continue; // a boolean not given is undefined (undefinedWhenAbsent)
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
    const option = own.find((o) => kebabCase(o.name) === flag)!;
    out[camelCase(flag)] = typeof value === 'string' ? fromText(value, option) : value;
  }
  return out;
}

/**
 * A flag's text as the option's own type, for a flag that methods share with different types
 * (it is parsed as text). What does not read as that type is passed on as it is, so that the
 * method's validation names the option and its type.
 */
function fromText(text: string, option: OptionSpec): unknown {
  switch (option.type) {
    case 'number':
    case 'int':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return text === 'true' ? true : text === 'false' ? false : text;
    case 'list':
      return text.split(',').map((x) => x.trim()).filter(Boolean);
    default:
      return text;
  }
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
