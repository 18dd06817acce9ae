/**
 * The placeholder of the student notebooks: `pl.course.TODO` stands where the student writes an
 * answer, so that the exercise cell still compiles and runs (later cells must run too), while any
 * use of the placeholder (reading a property, calling it, doing arithmetic with it) throws a
 * {@link NotAnsweredError} that the check cell turns into "not answered yet".
 */
import { UserError } from '../errors';

/** Brand of the placeholder, shared by every loaded copy of prunelab (tslab may load two). */
const TODO_BRAND = Symbol.for('prunelab.course.todo');
/** Brand of {@link NotAnsweredError}, for the same reason. */
const NOT_ANSWERED_BRAND = Symbol.for('prunelab.course.notAnswered');

/** Thrown when code uses `pl.course.TODO` as if it were an answer. */
export class NotAnsweredError extends UserError {
  constructor() {
    super('This exercise is not answered yet: replace pl.course.TODO in the exercise cell with your code, then run the exercise cell and its check cell again.');
  }
}
Object.defineProperty(NotAnsweredError.prototype, NOT_ANSWERED_BRAND, { value: true });

/** True for a {@link NotAnsweredError} of any loaded copy of prunelab. */
export function isNotAnswered(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[NOT_ANSWERED_BRAND] === true;
}

const notAnswered = (): never => {
  throw new NotAnsweredError();
};

/**
 * Keys the placeholder answers without throwing, because the runtime reads them on values it
 * merely passes around: `then` (an awaited or returned value is probed for it), the display and
 * inspection hooks of Node and of the kernel, and the brand.
 */
function quietKey(key: string | symbol): boolean {
  if (key === 'then' || key === 'constructor') return true;
  // Symbol.toPrimitive is the one symbol that means "use me as a value" (arithmetic, templates)
  return typeof key === 'symbol' && key !== Symbol.toPrimitive;
}

/**
 * The placeholder itself: a function (so that calling it can throw the same clear error) behind a
 * Proxy whose every use throws, except the quiet keys above.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TODO: any = new Proxy(function TODO() {}, {
  get(target, key) {
    if (key === TODO_BRAND) return true;
    if (quietKey(key)) return key === 'constructor' ? Object : undefined;
    return notAnswered();
  },
  apply: notAnswered,
  construct: notAnswered,
  set: notAnswered,
  has: (_t, key) => key === TODO_BRAND,
});

/** True when `value` is the placeholder `pl.course.TODO` (of any loaded copy of prunelab). */
export function isTodo(value: unknown): boolean {
  // a Proxy over a function: typeof is 'function'; reading the brand never throws
  return typeof value === 'function' && (value as unknown as Record<symbol, unknown>)[TODO_BRAND] === true;
}
