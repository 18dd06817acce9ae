/**
 * The errors prunelab throws on purpose, in two families, so that callers and the kernel can tell
 * them apart:
 * - {@link UserError}: the caller's mistake (a bad option, a shape that does not fit, an unknown
 *   name, bad data). The message says what is wrong and how to fix it; the kernel shows it with
 *   the notebook's own lines only, since prunelab's frames would not help.
 * - {@link InternalError}: a bug in prunelab or a broken invariant. The kernel shows the whole
 *   story and asks for a report.
 *
 * Errors that are neither (a TypeError from a bad call, an error of tfjs) are shown like an
 * internal one, without the request for a report.
 *
 * The families are recognised by a global-symbol brand as well as by `instanceof`: the kernel
 * and the notebook's `pl` can be two loaded copies of this module (tslab resolves the cells'
 * imports itself), and a class of one copy is not the class of the other.
 */

/** Brand of user errors, shared by every loaded copy of this module. */
const USER_ERROR: unique symbol = Symbol.for('prunelab.userError') as never;
/** Brand of internal errors, shared by every loaded copy of this module. */
const INTERNAL_ERROR: unique symbol = Symbol.for('prunelab.internalError') as never;

/** Base of every error prunelab throws on purpose. Its `name` is the class name of the error. */
export class PrunelabError extends Error {
  /**
   * @param message what happened (for user errors: what is wrong and how to fix it).
   * @param options `cause`: the error this one explains, if any.
   */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The caller's mistake (bad option, bad shape, unknown name, bad data): the message says what and
 * how to fix it; the kernel shows it without a JS stack.
 */
export class UserError extends PrunelabError {}
Object.defineProperty(UserError.prototype, USER_ERROR, { value: true });

/** A bad option or value: wrong type, out of range, unknown option, conflicting options. */
export class OptionError extends UserError {
  /**
   * @param message what is wrong with the value and what would be accepted.
   * @param option the option concerned (e.g. `sparsity`), when there is one.
   */
  constructor(message: string, readonly option?: string) {
    super(message);
  }
}

/** A name that no registry (criteria, granularities, datasets, magics, ...) knows. */
export class UnknownNameError extends UserError {
  /**
   * @param kind what was looked up, singular (e.g. `criterion`).
   * @param unknown the name asked for.
   * @param known the names that exist.
   * @param message the full explanation (known names, close matches, how to add one).
   */
  constructor(readonly kind: string, readonly unknown: string, readonly known: readonly string[], message: string) {
    super(message);
  }
}

/** Shapes that do not fit together: a mask for a weight of another shape, a layer that cannot take a pattern. */
export class ShapeError extends UserError {}

/** A bug in prunelab or a broken invariant: the kernel shows the stack and asks for a report. */
export class InternalError extends PrunelabError {}
Object.defineProperty(InternalError.prototype, INTERNAL_ERROR, { value: true });

function branded(e: unknown, brand: symbol): boolean {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[brand] === true;
}

/** True for a {@link UserError} (of any loaded copy of prunelab). */
export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError || branded(e, USER_ERROR);
}

/** True for an {@link InternalError} (of any loaded copy of prunelab). */
export function isInternalError(e: unknown): e is InternalError {
  return e instanceof InternalError || branded(e, INTERNAL_ERROR);
}
