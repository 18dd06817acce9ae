/**
 * The budget switch of the notebooks: `quick` (CI, a few minutes) or `paper` (the paper's
 * protocol), read from `PRUNELAB_BUDGET`, and a helper that picks a budget's settings.
 */
import { UnknownNameError, UserError } from '../errors';
import { envVar } from '../env';

/** The two budgets of the notebooks: `quick` (CI, a few minutes) and `paper` (the paper's protocol). */
export type BudgetName = 'quick' | 'paper';

/** Known budget names, for error messages. */
export const BUDGET_NAMES: readonly BudgetName[] = ['quick', 'paper'];

/**
 * The notebook budget: `PRUNELAB_BUDGET` (`quick` or `paper`), `quick` when unset.
 *
 * @param value the setting to read (default: the environment variable).
 * @throws for any other value, naming the known budgets.
 */
export function notebookBudget(value: string | undefined = envVar('PRUNELAB_BUDGET')): BudgetName {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') return 'quick';
  if ((BUDGET_NAMES as readonly string[]).includes(v)) return v as BudgetName;
  throw new UnknownNameError('budget', String(value), BUDGET_NAMES, `Unknown budget '${value}' (PRUNELAB_BUDGET). Known budgets: ${BUDGET_NAMES.join(', ')}; unset means quick.`);
}

/**
 * Picks the settings of the current budget.
 *
 * @example const cfg = byBudget(budget, { quick: { epochs: 2 }, paper: { epochs: 30 } });
 */
export function byBudget<T>(budget: BudgetName, choices: Record<BudgetName, T>): T {
  if (!(budget in choices)) throw new UserError(`byBudget: no settings for budget '${budget}'; give ${BUDGET_NAMES.join(' and ')}.`);
  return choices[budget];
}
