import { strict as assert } from 'assert';
import {
  classCounts,
  fitNormalization,
  flattenExamples,
  makeBlobs,
  normalizeExamples,
  selectExamples,
  stratifiedIndices,
  subsetExamples,
  trainValidationSplit,
  validateExamples,
  type Examples,
} from '../../src/data';
import { thrown } from './helpers';

/** Examples whose first feature is the example's index, so rows can be traced. */
function traced(count: number, numClasses: number, featureShape = [3]): Examples {
  const size = featureShape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(count * size);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    x[i * size] = i;
    for (let f = 1; f < size; f++) x[i * size + f] = i * 10 + f;
    y[i] = (i * 7) % numClasses;
  }
  return { x, y, count, featureShape, numClasses };
}

const ids = (e: Examples) => Array.from({ length: e.count }, (_, i) => e.x[i * (e.x.length / e.count)]);

describe('data/examples: subsets, splits, normalisation', () => {
  it('selectExamples gathers rows and labels by index', () => {
    const e = traced(10, 3);
    const s = selectExamples(e, [4, 0, 4]);
    assert.deepEqual(ids(s), [4, 0, 4]);
    assert.deepEqual(Array.from(s.y), [e.y[4], e.y[0], e.y[4]]);
    assert.deepEqual(Array.from(s.x.subarray(0, 3)), [4, 41, 42]);
    assert.throws(() => selectExamples(e, [10]), /index 10 at position 0 is outside \[0, 10\)/);
  });

  it('stratifiedIndices: exact size, proportional per class, partition, seeded', () => {
    const e = traced(1000, 4);
    const { chosen, rest } = stratifiedIndices(e.y, 4, 101, 9);
    assert.equal(chosen.length, 101);
    assert.deepEqual([...chosen, ...rest].sort((a, b) => a - b), Array.from({ length: 1000 }, (_, i) => i));
    const per = classCounts({ y: selectExamples(e, chosen).y, numClasses: 4 });
    const full = classCounts(e);
    per.forEach((c, k) => assert.ok(Math.abs(c - (101 * full[k]) / 1000) < 1, `class ${k}: ${c}`));
    assert.deepEqual(stratifiedIndices(e.y, 4, 101, 9).chosen, chosen);
    assert.notDeepEqual(stratifiedIndices(e.y, 4, 101, 10).chosen, chosen);
  });

  it('subsetExamples keeps class proportions of an imbalanced set and original order', () => {
    const y = new Int32Array(1000);
    for (let i = 0; i < 1000; i++) y[i] = i < 900 ? 0 : 1; // 90% / 10%
    const e: Examples = { x: new Float32Array(1000).map((_, i) => i), y, count: 1000, featureShape: [1], numClasses: 2 };
    const s = subsetExamples(e, 50, 3);
    assert.deepEqual(classCounts(s), [45, 5]);
    const order = Array.from(s.x);
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    assert.throws(() => subsetExamples(e, 1001), /subset must be an integer in \[1, 1000\]/);
  });

  it('trainValidationSplit: disjoint, complete, stratified, seeded; inputs untouched', () => {
    const e = traced(500, 5);
    const before = e.x.slice();
    const { train, validation } = trainValidationSplit(e, 0.2, 11);
    assert.equal(validation.count, 100);
    assert.equal(train.count, 400);
    const all = [...ids(train), ...ids(validation)].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: 500 }, (_, i) => i));
    assert.deepEqual(classCounts(validation), [20, 20, 20, 20, 20]);
    assert.deepEqual(ids(trainValidationSplit(e, 0.2, 11).validation), ids(validation));
    assert.notDeepEqual(ids(trainValidationSplit(e, 0.2, 12).validation), ids(validation));
    assert.deepEqual(e.x, before);
    assert.throws(() => trainValidationSplit(e, 1), /validationFraction must be in \(0, 1\)/);
    assert.throws(() => trainValidationSplit(traced(2, 2), 0.1), /gives 0 validation examples/);
  });

  it('normalisation: unit with a declared range, per-feature min/max, symmetric, global and per-feature standardize', () => {
    const img: Examples = { x: Float32Array.from([0, 255, 51, 102]), y: Int32Array.from([0]), count: 1, featureShape: [2, 2, 1], numClasses: 1 };
    const unit = fitNormalization(img, 'unit', [0, 255]);
    assert.deepEqual(unit, { mode: 'unit', scope: 'global', offset: [0], scale: [255] });
    assert.deepEqual(Array.from(normalizeExamples(img, unit).x), [0, 1, Math.fround(0.2), Math.fround(0.4)]);
    assert.deepEqual(Array.from(img.x), [0, 255, 51, 102], 'input unchanged');

    const pts: Examples = { x: Float32Array.from([1, 10, 3, 30, 5, 50]), y: Int32Array.from([0, 0, 0]), count: 3, featureShape: [2], numClasses: 1 };
    const mm = fitNormalization(pts, 'unit');
    assert.deepEqual(Array.from(normalizeExamples(pts, mm).x), [0, 0, 0.5, 0.5, 1, 1]);
    // symmetric: the same ranges to [−1, 1] (torchvision's Normalize(0.5, 0.5) after ToTensor)
    const sym = fitNormalization(img, 'symmetric', [0, 255]);
    assert.deepEqual(sym, { mode: 'symmetric', scope: 'global', offset: [127.5], scale: [127.5] });
    assert.deepEqual(Array.from(normalizeExamples(img, sym).x), [-1, 1, Math.fround(51 / 127.5 - 1), Math.fround(102 / 127.5 - 1)]);
    assert.deepEqual(Array.from(normalizeExamples(pts, fitNormalization(pts, 'symmetric')).x), [-1, -1, 0, 0, 1, 1]);
    const st = fitNormalization(pts, 'standardize');
    assert.equal(st.scope, 'perFeature');
    const z = normalizeExamples(pts, st).x;
    const sd = Math.sqrt(8 / 3); // population std of 1, 3, 5
    assert.ok(Math.abs(z[0] + 2 / sd) < 1e-6 && Math.abs(z[2]) < 1e-6 && Math.abs(z[5] - 2 / sd) < 1e-6);

    const g = fitNormalization(img, 'standardize');
    assert.equal(g.scope, 'global');
    const gz = normalizeExamples(img, g).x;
    const mean = gz.reduce((a, b) => a + b, 0) / 4;
    const std = Math.sqrt(gz.reduce((a, b) => a + (b - mean) ** 2, 0) / 4);
    assert.ok(Math.abs(mean) < 1e-6 && Math.abs(std - 1) < 1e-6);
    // A constant feature keeps scale 1 instead of dividing by zero.
    const flat: Examples = { x: Float32Array.from([2, 2]), y: Int32Array.from([0, 0]), count: 2, featureShape: [1], numClasses: 1 };
    assert.deepEqual(fitNormalization(flat, 'standardize').scale, [1]);
    assert.deepEqual(fitNormalization(flat, 'unit').scale, [1]);
  });

  it('flattenExamples shares data and changes only the shape; validateExamples catches bad labels', () => {
    const e = traced(4, 2, [2, 3]);
    const f = flattenExamples(e);
    assert.deepEqual(f.featureShape, [6]);
    assert.equal(f.x, e.x);
    validateExamples(makeBlobs({ count: 10 }));
    const bad = { ...e, y: Int32Array.from([0, 1, 2, 0]) };
    assert.match(thrown(() => validateExamples(bad, 'mine train')).message, /mine train: label 2 of example 2 is outside \[0, 2\)/);
    assert.match(thrown(() => validateExamples({ ...e, count: 5 })).message, /x holds 24 values, expected/);
  });
});
