/**
 * Magnitude pruning (Han et al. 2015; torch `l1_unstructured`): a weight's importance is |w|.
 * The core does the rest: granularity (element, N:M, blocks, neurons, channels), allocation
 * (layerwise, global, ERK), schedules (one-shot, iterative, AGP).
 */
import * as tf from '@tensorflow/tfjs';
import { scoreEachWeight } from '../criteria';
import { registerMethod } from '../method';

registerMethod({
  name: 'magnitude',
  description: '|w| (Han et al. 2015; torch l1_unstructured)',
  reference: 'Han, Pool, Tran, Dally. Learning both Weights and Connections for Efficient Neural Networks. NeurIPS 2015',
  scores: (ctx) => scoreEachWeight(ctx, (w) => tf.abs(w)),
});
