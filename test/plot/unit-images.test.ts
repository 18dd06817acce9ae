import * as assert from 'assert';
import { fanInImages } from '../../src/plot/unit-images';

describe('fanInImages', () => {
  it('draws the mean |weight| of each group per pixel, groups side by side', () => {
    // kernel [4 pixels (2×2), 3 units], row-major
    const k = [1, -2, 3, 0, 4, -5, 6, 0, 0, -1, 1, 1];
    const fig = fanInImages(k, [4, 3], [{ name: 'a', units: [0] }, { name: 'bc', units: [1, 2] }], [2, 2]);
    const z = (fig.data[0] as { z: (number | null)[][] }).z;
    assert.deepStrictEqual(z, [[1, 0, null, null, 2.5, 4.5], [6, 1, null, null, 0, 1]]);
    assert.throws(() => fanInImages(k, [4, 3], [{ name: 'a', units: [0] }], [3, 3]), /4 inputs, not 3×3/);
    assert.throws(() => fanInImages(k, [4, 3], [{ name: 'e', units: [] }], [2, 2]), /group 'e' has no units/);
  });
});
