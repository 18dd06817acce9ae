/**
 * Random pruning (torch `random_unstructured`): uniform random scores from the call's seed —
 * the baseline every criterion must beat, and the mask of static sparse training.
 */
import * as tf from '@tensorflow/tfjs';
import { registerMethod } from '../method';

registerMethod({
  name: 'random',
  description: 'uniform random scores from the seed (a baseline; torch random_unstructured)',
  scores: (ctx) =>
    new Map(
      ctx.targets.map((t) => {
        const r = ctx.random(t.name);
        const s = new Float32Array(t.size);
        for (let i = 0; i < s.length; i++) s[i] = r();
        return [t.name, tf.tensor(s, t.shape)];
      }),
    ),
});
