/**
 * Magics: IPython-style `%name args` and `%%name args` commands for notebooks, each a thin layer
 * over the TypeScript API. Arguments are declared once ({@link ArgSpec}); parsing, validation,
 * `%name?` help and `%lsmagic` come from the declaration.
 */
export * from './args';
export * from './close-matches';
export * from './context';
export * from './registry';
export * from './state';
export { timeit, timeitSummary, formatDuration, type TimeitResult } from './builtins/time';
export { setTracebackMode, TRACEBACK_MODES, tracebackMode, type TracebackMode } from './builtins/xmode';
import './builtins';
export { magicsMarkdown } from './docs';
