/**
 * `learned-threshold` (and `pl.LearnedThreshold`) trained thresholds to match a given density and
 * ignored the task loss; it was replaced by the real method, `ltp` (Learned Threshold Pruning:
 * soft mask in the forward pass, learned per-layer thresholds, soft-L0 penalty). The old name
 * gives an error that says so.
 */
import { UserError } from '../../errors';
import { retireMethodName } from '../method';

/** What the old name answers. */
export const LEARNED_THRESHOLD_REPLACED =
  "'learned-threshold' was replaced by 'ltp' (Learned Threshold Pruning, Azarian et al. 2020): per-layer thresholds learned " +
  'with the task loss through a soft mask and a soft-L0 penalty. Use pl.trainingPlan(net, \'ltp\', { lambda: 1e-2 }, run) or ' +
  '%finetune net --data ds --method ltp --lambda 0.01; a target density is reached by picking a point of ltpTrail(net).';

retireMethodName('learned-threshold', LEARNED_THRESHOLD_REPLACED);

/** Replaced by the `ltp` method: constructing one throws an error that says how to use `ltp`. */
export class LearnedThreshold {
  constructor() {
    throw new UserError(`LearnedThreshold: ${LEARNED_THRESHOLD_REPLACED}`);
  }
}
