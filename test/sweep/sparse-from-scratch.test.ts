// The `sparse-from-scratch` trial (family 4): init methods and training methods, with their
// options, as sweep grid fields; a bad field names the problem.
import { strict as assert } from 'assert';
import { OptionError, UnknownNameError } from '../../src/errors';
import { expandSpec } from '../../src/sweep/spec';
import { sweep } from '../../src/sweep/sweep';
import { logTail } from '../../src/sweep/store';
import { cleanup, tempDir } from './helpers';

const fixed = { dataset: 'tiny-fashion', trainSubset: 300, testSubset: 200, steps: 12, batchSize: 50, sparsity: 0.9 };

describe('sparse-from-scratch sweeps', function () {
  const dirs: string[] = [];
  after(() => cleanup(dirs));

  it('snip / grasp / static ERK with set / rigl as grid fields: exact sparsity, mask-change fractions, per-layer densities', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const s = await sweep(
      {
        name: 'tiny-sparse',
        trial: 'sparse-from-scratch',
        grid: [
          { initMethod: ['snip'] },
          { initMethod: ['grasp'], samplesPerClass: [2], pruneBatches: [2] },
          { initMethod: ['static'], distribution: ['erk'], trainMethod: ['rigl'], interval: [3] },
          { initMethod: ['static'], distribution: ['er'], trainMethod: ['set'], interval: [4] },
          { initMethod: ['static'], distribution: ['uniform'], sparseKernels: [true], label: ['sparse kernels'] },
          { initMethod: ['static'], distribution: ['erk'], trainMethod: ['rigl'], interval: [3], sparseKernels: [true], label: ['rigl on sparse kernels'] },
        ],
        fixed,
      },
      { dir, workers: 1, progress: 'none' },
    );
    assert.deepEqual([s.done, s.failed], [6, 0], JSON.stringify(s.failures));
    for (const r of s.rows) {
      assert.ok(Math.abs((r.sparsity as number) - 0.9) < 0.002, `sparsity ${r.sparsity}`);
      assert.ok((r.accuracy as number) > 0.1, `${r.initMethod} learned something: ${r.accuracy}`);
    }
    const rigl = s.rows.find((r) => r.trainMethod === 'rigl' && !r.sparseKernels)!;
    assert.deepEqual(rigl.updateSteps, [0, 3, 6]); // ΔT 3 from step 0 until 75% of 12 steps
    const riglSparse = s.rows.find((r) => r.trainMethod === 'rigl' && r.sparseKernels)!;
    assert.deepEqual(riglSparse.updateSteps, [0, 3, 6], 'the same schedule on the sparse kernels');
    assert.deepEqual(riglSparse.densities, riglSparse.densitiesAtInit);
    assert.ok((rigl.changedFraction as number[])[0] > 0.1 && (rigl.changedFraction as number[])[0] <= 0.3, `${rigl.changedFraction}`);
    const set = s.rows.find((r) => r.trainMethod === 'set')!;
    assert.deepEqual(set.updateSteps, [3, 7]);
    assert.deepEqual(set.densities, set.densitiesAtInit, 'SET keeps every layer density');
    const onKernels = s.rows.find((r) => r.sparseKernels === true)!;
    assert.deepEqual(Object.values(onKernels.densities as object).map((d) => (d as number).toFixed(2)), ['0.10', '0.10', '0.10'], 'uniform; the weights written back keep the masks');
    const snip = s.rows.find((r) => r.initMethod === 'snip')!;
    assert.notDeepEqual(Object.values(snip.densities as object).map((d) => (d as number).toFixed(3)), ['0.100', '0.100', '0.100'], 'SNIP ranks globally');
    // 12 steps of 6 per epoch: a line per epoch in the trial's log
    const log = logTail(s.dir, snip.id as string, 20);
    assert.match(log, /epoch 1\/2: loss [\d.]+, training accuracy [\d.]+% \([\d.]+ s\)/);
    assert.match(log, /epoch 2\/2:/);
  });

  it('bad fields: unknown init/training method, an option of no method, missing sparsity', () => {
    const spec = (grid: Record<string, unknown[]>, f: Record<string, unknown> = fixed) => ({ name: 'x', trial: 'sparse-from-scratch', grid, fixed: f });
    assert.throws(() => expandSpec(spec({ initMethod: ['snipp'] })), (e: unknown) => e instanceof UnknownNameError && /initMethod.*snipp.*snip/.test((e as Error).message));
    assert.throws(() => expandSpec(spec({ trainMethod: ['rigel'] })), (e: unknown) => e instanceof UnknownNameError && /trainMethod.*rigel.*rigl/.test((e as Error).message));
    assert.throws(() => expandSpec(spec({ dropFractoin: [0.3] })), (e: unknown) => e instanceof OptionError && /unknown field 'dropFractoin'/.test((e as Error).message));
    const { sparsity: _s, ...noSparsity } = fixed;
    void _s;
    assert.throws(() => expandSpec(spec({ seed: [1] }, noSparsity)), /give a sparsity/);
  });
});
