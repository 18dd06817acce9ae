/**
 * Static sparse training: a random mask drawn once at initialization and kept fixed for the
 * whole training — the baseline dynamic sparse training (SET, RigL) must beat. The densities per
 * layer follow a distribution:
 * - `uniform`: every layer at the requested sparsity (RigL's default, usually with the first
 *   layer dense: `keepFirstDense`);
 * - `er`: Erdős–Rényi, density ∝ (n_in + n_out)/(n_in·n_out) (SET's, Mocanu et al. 2018);
 * - `erk`: Erdős–Rényi-kernel, the kernel's spatial dims counted too (RigL, Evci et al. 2020).
 * Layers whose density would exceed 1 are dense and the rest re-solved, so the overall sparsity
 * is the requested one. Within a layer the kept positions are uniformly random (seeded).
 *
 * `%prune net static --sparsity 0.95 --distribution erk`, then `%train` / `%finetune` (the
 * training loop holds the mask), or `--method set` / `--method rigl` to let it change.
 */
import * as tf from '@tensorflow/tfjs';
import '../at-init'; // registers the 'er' allocation
import { registerMethod } from '../method';
import { baseWeightName } from '../targets';

/** Options of `static`, as declared below. */
export type StaticOptions = { distribution: string };

registerMethod<StaticOptions>({
  name: 'static',
  description: 'static sparse training: a random mask at initialization with uniform, ER or ERK layer densities, fixed during training',
  reference: 'Mocanu et al. 2018 (ER); Evci et al. 2020 (ERK, uniform)',
  options: [
    { name: 'distribution', type: 'string', choices: ['uniform', 'er', 'erk'], default: 'erk', help: 'layer densities: uniform (same sparsity everywhere), er ((n_in+n_out)/(n_in·n_out)) or erk (kernel dims counted)' },
  ],
  defaultScope: (o) => (o.distribution === 'uniform' ? 'layerwise' : o.distribution),
  scores: (ctx) =>
    new Map(
      ctx.targets.map((t) => {
        const r = ctx.random(`static/${baseWeightName(t.name)}`); // unsuffixed: the same mask in every session
        const s = new Float32Array(t.size);
        for (let i = 0; i < s.length; i++) s[i] = r();
        return [t.name, tf.tensor(s, t.shape)];
      }),
    ),
});
