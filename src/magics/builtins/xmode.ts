/**
 * `%xmode`: how much of the stack an error in a cell shows, as in IPython. The kernel's error
 * formatter reads the mode; in TypeScript, `pl.magics.setTracebackMode('verbose')` does the same.
 */
import { defineMagic } from '../registry';
import { OptionError } from '../../errors';
import { envVar } from '../../env';

/**
 * - `minimal`: the error alone (name and message);
 * - `context` (default): the error, then the frames of the notebook's own code, each with its
 *   cell line; frames inside prunelab, its libraries and Node.js are counted, not shown;
 * - `verbose`: every frame, the cell frames still mapped to their lines.
 */
export type TracebackMode = 'minimal' | 'context' | 'verbose';

/** The modes, for validation and help. */
export const TRACEBACK_MODES: readonly TracebackMode[] = ['minimal', 'context', 'verbose'];

/** `PRUNELAB_TRACEBACK=verbose` (or `full`) starts a kernel in verbose mode, e.g. to debug prunelab itself. */
function initialMode(env = envVar('PRUNELAB_TRACEBACK')): TracebackMode {
  const v = (env ?? '').trim().toLowerCase();
  if (v === 'full') return 'verbose';
  return (TRACEBACK_MODES as readonly string[]).includes(v) ? (v as TracebackMode) : 'context';
}

let mode: TracebackMode = initialMode();

/** The current traceback mode (`context` unless changed). */
export function tracebackMode(): TracebackMode {
  return mode;
}

/**
 * Sets how much of the stack errors show from now on.
 * @throws for an unknown mode, listing the known ones.
 */
export function setTracebackMode(next: string): TracebackMode {
  const v = next.trim().toLowerCase();
  if (!(TRACEBACK_MODES as readonly string[]).includes(v)) {
    throw new OptionError(`Unknown traceback mode '${next}'. Known modes: ${TRACEBACK_MODES.join(', ')}.`, 'mode');
  }
  mode = v as TracebackMode;
  return mode;
}

defineMagic({
  name: 'xmode',
  summary: 'How much of the stack errors show: minimal, context (default) or verbose.',
  description:
    'context shows the error and the lines of your cells it went through, hiding the frames inside prunelab, ' +
    'its libraries and Node.js; verbose shows every frame (to debug prunelab itself); minimal the error alone. ' +
    'Without a mode, shows the current one.',
  args: [{ name: 'mode', kind: 'positional', required: false, choices: TRACEBACK_MODES, help: 'minimal, context or verbose.' }],
  examples: ['%xmode verbose'],
  api: "pl.magics.setTracebackMode('verbose');   // pl.magics.tracebackMode() shows the current one",
  run({ args }, ctx) {
    const next = args.mode as string | undefined;
    ctx.print(`Exception reporting mode: ${next === undefined ? tracebackMode() : setTracebackMode(next)}`);
    return undefined;
  },
});
