/** What a magic sees of the notebook while it runs: variables, output, interruption. */
import { display as showValue, type DisplayHandle } from '../report/display';
import { closeMatches, didYouMean } from '../close-matches';

/** The notebook, as seen by a running magic. The kernel provides one per execution. */
export interface MagicContext {
  /**
   * The value of a notebook variable.
   * @throws Error naming the variable, with close matches among the notebook's variables.
   */
  get(name: string): unknown;
  /** True when a notebook variable of that name exists (even if its value is undefined). */
  has(name: string): boolean;
  /** Names of the notebook's variables, for suggestions and completion. */
  variableNames(): string[];
  /**
   * Shows a value as rich output (plotly figure, DataFrame, anything with a display method).
   * @returns a handle that replaces that output in place (progress bars, live plots).
   */
  display(value: unknown): DisplayHandle;
  /** Writes text to the cell's standard output. */
  print(text: string): void;
  /** Aborted when the user interrupts the kernel; long work (training) must stop on it. */
  readonly signal: AbortSignal;
}

/** The error for a missing variable, with suggestions. */
export function unknownVariableError(name: string, known: string[]): Error {
  const listed = known.length ? ` Notebook variables: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}.` : ' The notebook has no variables yet.';
  return new Error(`Unknown variable '${name}'.${didYouMean(closeMatches(name, known))}${listed}`);
}

/** Options of {@link createMagicContext}. */
export interface SimpleContextOptions {
  /** The variables, read and written by name. Default: a new empty object. */
  variables?: Record<string, unknown>;
  /** Where `print` goes. Default: `process.stdout`. */
  print?: (text: string) => void;
  /** Where `display` goes. Default: the current display sink (see `report/display`). */
  display?: (value: unknown) => DisplayHandle;
  /** Interruption signal. Default: a signal that never aborts. */
  signal?: AbortSignal;
}

/**
 * A context over a plain object of variables, for running magics outside the kernel (scripts,
 * tests): `await runMagicLine('%prune net magnitude', createMagicContext({ variables: { net } }))`.
 */
export function createMagicContext(options: SimpleContextOptions = {}): MagicContext {
  const vars = options.variables ?? {};
  return {
    get(name) {
      if (!(name in vars)) throw unknownVariableError(name, Object.keys(vars));
      return vars[name];
    },
    has: (name) => name in vars,
    variableNames: () => Object.keys(vars),
    display: options.display ?? ((value) => showValue(value)),
    print: options.print ?? ((text) => void process.stdout.write(text.endsWith('\n') ? text : text + '\n')),
    signal: options.signal ?? new AbortController().signal,
  };
}
