import * as assert from 'assert';
import { polynomialDecaySchedule } from '../../src/prune';
import { scalarSchedule } from '../../src/train';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

describe('scalarSchedule: one helper for drop fractions, KL weights, temperatures and penalties', () => {
  it('constant, linear, cosine and polynomial match their closed forms, flat outside [begin, end]', () => {
    close(scalarSchedule(0.3)(12345), 0.3, 'number');
    close(scalarSchedule({ kind: 'constant', value: 2 })(7), 2, 'constant');
    const lin = scalarSchedule({ kind: 'linear', from: 0, to: 1, begin: 100, end: 200 });
    [[0, 0], [100, 0], [150, 0.5], [175, 0.75], [200, 1], [10_000, 1]].forEach(([s, v]) => close(lin(s), v, `linear(${s})`));
    const cos = scalarSchedule({ kind: 'cosine', from: 0.3, to: 0, end: 1000 });
    for (const s of [0, 250, 500, 900, 1000, 2000]) close(cos(s), 0.15 * (1 + Math.cos(Math.PI * Math.min(1, s / 1000))), `cosine(${s})`);
    const poly = scalarSchedule({ kind: 'polynomial', from: 0, to: 0.9, begin: 10, end: 110 });
    for (const s of [0, 10, 35, 60, 110, 500]) close(poly(s), 0.9 - 0.9 * Math.pow(1 - Math.min(1, Math.max(0, (s - 10) / 100)), 3), `polynomial(${s})`);
  });

  it('reads the text form the magics use, and describes itself', () => {
    const s = scalarSchedule('cosine:0.3:0:0:7500');
    close(s(3750), 0.15, 'cosine text');
    assert.strictEqual(s.description, 'cosine 0.3→0 over steps 0..7500');
    close(scalarSchedule('polynomial:1:0:0:10:2')(5), 0.25, 'polynomial power 2');
    close(scalarSchedule('0.5')(3), 0.5, 'number text');
    close(scalarSchedule('constant:4')(3), 4, 'constant text');
  });

  it('refuses unknown kinds, missing numbers, end ≤ begin and negative steps with the accepted forms', () => {
    assert.throws(() => scalarSchedule('exp:1:0:0:10', 'rigl: dropFraction'), /rigl: dropFraction: cannot read the schedule 'exp:1:0:0:10'.*linear\|cosine:FROM:TO:BEGIN:END/);
    assert.throws(() => scalarSchedule('cosine:0.3:x:0:10'), /not a number/);
    assert.throws(() => scalarSchedule({ kind: 'linear', from: 0, to: 1, begin: 5, end: 5 }), /0 ≤ begin < end/);
    assert.throws(() => scalarSchedule({ kind: 'step' } as never), /unknown schedule kind 'step'.*constant, linear, cosine, polynomial/);
    assert.throws(() => scalarSchedule(Number.NaN), /finite number/);
    assert.throws(() => scalarSchedule({ kind: 'cosine', from: 1, to: 0, end: 10 })(-1), /step must be/);
  });

  it('AGP sparsity is the polynomial schedule (the same numbers as before the refactor)', () => {
    const agp = polynomialDecaySchedule({ initialSparsity: 0.1, finalSparsity: 0.9, beginStep: 100, endStep: 1100, frequency: 100 });
    for (const s of [0, 100, 350, 600, 1100, 5000]) {
      const p = Math.min(1, Math.max(0, (s - 100) / 1000));
      close(agp.at(s).sparsity, 0.9 + (0.1 - 0.9) * Math.pow(1 - p, 3), `agp(${s})`);
    }
  });
});
