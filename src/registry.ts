/**
 * One generic name registry for everything users can add to by name (criteria, granularities,
 * allocations, updates, magics, datasets, models, optimizers): each validates what is
 * registered, refuses a taken name unless `{ replace: true }`, can unregister, lists its entries
 * with one-line descriptions, and answers an unknown name with the known ones and close matches.
 *
 * ```ts
 * const criteria = new Registry<Criterion>({ kind: 'criterion', plural: 'criteria',
 *   validate: (c) => (typeof c.scores === 'function' ? undefined : 'it needs a scores(ctx) function'),
 *   hint: 'Register one with pl.registerCriterion(name, scores).' });
 * ```
 *
 * Builtin entries are registered once, when their module loads; a notebook cell that registers
 * its own and is run again passes `{ replace: true }`.
 */
import { closeMatches, didYouMean } from './close-matches';
import { OptionError, UnknownNameError, UserError } from './errors';

/** Options of {@link Registry.register}. */
export interface RegisterOptions {
  /** Overwrite an existing entry of the same name instead of refusing it. */
  replace?: boolean;
  /** One line for listings; defaults to the item's own `description` field if it has one. */
  description?: string;
}

/** One registered item with its name and description. */
export interface RegistryEntry<T> {
  /** The registered name. */
  name: string;
  /** What was registered. */
  item: T;
  /** One line for listings ('' when none was given). */
  description: string;
}

/** How a {@link Registry} names, checks and explains its entries. */
export interface RegistryOptions<T> {
  /** Singular noun for messages, e.g. 'criterion'. */
  kind: string;
  /** Plural for messages, e.g. 'criteria' (default kind + 's'). */
  plural?: string;
  /** Returns a problem description when the item is malformed (checked on register), else undefined. */
  validate?: (item: T, name: string) => string | undefined;
  /** Allowed names (default {@link DEFAULT_NAME_PATTERN}: a letter, then letters, digits, `_ : . -`). */
  namePattern?: RegExp;
  /** The rule of `namePattern` in words, for the error on a bad name (default: the pattern itself). */
  nameRule?: string;
  /** How to register one, appended to the unknown-name error, e.g. 'Register one with pl.registerCriterion(name, scores).' */
  hint?: string;
  /**
   * Accepted forms that are not registered names, listed after the known names in the
   * unknown-name error, e.g. `N:M (e.g. '2:4')` for granularities.
   */
  alsoKnown?: string;
}

/** Default allowed names: a letter, then letters, digits, `_`, `:`, `.` or `-`. */
export const DEFAULT_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_:.-]*$/;
const DEFAULT_NAME_RULE = "start with a letter and use only letters, digits, '_', ':', '.' and '-'";

/** Every registry made so far, for listings and for the test suite's check that tests clean up. */
const created: Registry<unknown>[] = [];

/** @returns every registry created so far (builtin ones are created when their module loads). */
export function allRegistries(): readonly Registry<unknown>[] {
  return created;
}

/** A name → item registry; see the module comment. */
export class Registry<T> {
  /** Singular noun for messages, e.g. 'criterion'. */
  readonly kind: string;
  /** Plural noun for messages, e.g. 'criteria'. */
  readonly plural: string;
  private readonly entries = new Map<string, RegistryEntry<T>>();
  private readonly options: RegistryOptions<T>;

  constructor(options: RegistryOptions<T>) {
    this.options = options;
    this.kind = options.kind;
    this.plural = options.plural ?? `${options.kind}s`;
    created.push(this as Registry<unknown>);
  }

  /**
   * Adds an entry.
   *
   * @param name the name to look it up by.
   * @param item what to register.
   * @param options `replace` to overwrite an entry of the same name; `description` for listings.
   * @returns the item.
   * @throws OptionError for a bad name or a malformed item; UserError when the name is taken and !replace (message says pass { replace: true } or unregister first).
   */
  register(name: string, item: T, options: RegisterOptions = {}): T {
    const pattern = this.options.namePattern ?? DEFAULT_NAME_PATTERN;
    if (typeof name !== 'string' || !pattern.test(name)) {
      const rule = this.options.nameRule ?? (this.options.namePattern ? `match ${pattern}` : DEFAULT_NAME_RULE);
      throw new OptionError(`Invalid ${this.kind} name ${typeof name === 'string' ? `'${name}'` : String(name)}: a ${this.kind} name must ${rule}.`, 'name');
    }
    if (item === undefined || item === null) throw new OptionError(`Cannot register ${this.kind} '${name}': nothing was given to register.`);
    const problem = this.options.validate?.(item, name);
    if (problem) throw new OptionError(`Cannot register ${this.kind} '${name}': ${problem.replace(/\.?$/, '.')}`);
    const description = options.description ?? ownDescription(item);
    if (typeof description !== 'string' || description.includes('\n')) {
      throw new OptionError(`Cannot register ${this.kind} '${name}': the description must be one line of text.`, 'description');
    }
    if (this.entries.has(name) && !options.replace) {
      throw new UserError(
        `A ${this.kind} named '${name}' is already registered; pass { replace: true } to overwrite it, or unregister it first.`,
      );
    }
    this.entries.set(name, { name, item, description });
    return item;
  }

  /** Removes an entry. @returns whether it existed. */
  unregister(name: string): boolean {
    return this.entries.delete(name);
  }

  /** Whether a name is registered. */
  has(name: string): boolean {
    return this.entries.has(name);
  }

  /**
   * The item registered under a name.
   * @throws UnknownNameError listing the known names and close matches ("did you mean").
   */
  get(name: string): T {
    const entry = this.entries.get(name);
    if (!entry) throw this.unknownNameError(name);
    return entry.item;
  }

  /** The item registered under a name, or undefined. */
  find(name: string): T | undefined {
    return this.entries.get(name)?.item;
  }

  /** Sorted names. */
  names(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Sorted entries with descriptions. */
  list(): RegistryEntry<T>[] {
    return this.names().map((n) => ({ ...this.entries.get(n)! }));
  }

  /** Plain-text table `name  description`, one line each (for help and listings). */
  describe(): string {
    const entries = this.list();
    const width = Math.max(0, ...entries.map((e) => e.name.length));
    return entries.map((e) => (e.description ? `${e.name.padEnd(width)}  ${e.description}` : e.name)).join('\n');
  }

  /**
   * The error for a name that is not registered: the known names (aliases, i.e. names of the
   * same item, grouped as `neuron (= filter)`), other accepted forms, close matches, and how to
   * register one. {@link get} throws it; lookups that try other readings first throw it themselves.
   *
   * @param name the unknown name.
   */
  unknownNameError(name: string): UnknownNameError {
    const names = this.names();
    const shown = String(name);
    let known = this.knownList();
    if (this.options.alsoKnown) known = known === 'none' ? this.options.alsoKnown : `${known}, ${this.options.alsoKnown}`;
    const message =
      `Unknown ${this.kind} '${shown}'. Known ${this.plural}: ${known}.` +
      didYouMean(closeMatches(shown, names)) +
      (this.options.hint ? ` ${this.options.hint}` : '');
    return new UnknownNameError(this.kind, shown, names, message);
  }

  /**
   * Runs `fn` with temporary registrations (replacing entries of the same names for the time),
   * then removes them and restores what they replaced, also when `fn` throws or its promise
   * rejects (for tests and notebooks).
   *
   * @param entries name → item, as an object, a Map or `[name, item]` pairs.
   * @param fn the code that uses them; may be async.
   * @returns what `fn` returns.
   * @throws what registering them throws (nothing is left registered then), or what `fn` throws.
   */
  scoped<R>(entries: Iterable<readonly [string, T]>, fn: () => R): R;
  scoped<R>(entries: Record<string, T>, fn: () => R): R;
  scoped<R>(entries: Record<string, T> | Iterable<readonly [string, T]>, fn: () => R): R {
    const pairs: (readonly [string, T])[] =
      Symbol.iterator in Object(entries) ? [...(entries as Iterable<readonly [string, T]>)] : Object.entries(entries as Record<string, T>);
    const saved: [string, RegistryEntry<T> | undefined][] = [];
    const restore = () => {
      for (const [name, entry] of saved.reverse()) {
        if (entry) this.entries.set(name, entry);
        else this.entries.delete(name);
      }
    };
    let result: R;
    try {
      for (const [name, item] of pairs) {
        const before = this.entries.get(name);
        this.register(name, item, { replace: true });
        saved.push([name, before]);
      }
      result = fn();
    } catch (e) {
      restore();
      throw e;
    }
    if (result instanceof Promise) return result.finally(restore) as R;
    restore();
    return result;
  }

  /** Known names for messages, sorted, aliases grouped under the item's first name: `channel, element, neuron (= filter)`. */
  private knownList(): string {
    // in registration order, so that the first name of an item leads its group
    const groups = new Map<T, string[]>();
    for (const { name, item } of this.entries.values()) groups.set(item, [...(groups.get(item) ?? []), name]);
    const parts = [...groups.values()]
      .map(([first, ...others]) => ({ first, text: others.length ? `${first} (= ${others.sort().join(' = ')})` : first }))
      .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0))
      .map((g) => g.text);
    return parts.length ? parts.join(', ') : 'none';
  }
}

/** The item's own `description` field, when it is a string. */
function ownDescription(item: unknown): string {
  const d = (item as { description?: unknown } | null)?.description;
  return typeof d === 'string' ? d : '';
}
