import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ops, tensor } from '../../src/index.js';
import { convWindow, geometry, KERNEL_PRESETS, parseKernelValue, poolWindow, sizeFormula } from '../../lab/src/conv_math.js';

/** A 7×6 image with distinct values, so a wrong window position changes the sum. */
const H = 7;
const W = 6;
const image = Float32Array.from({ length: H * W }, (_, i) => ((i * 37) % 11) / 10 - 0.3);

describe('lab explainer arithmetic', () => {
  test('output sizes follow Keras for valid and same padding', () => {
    assert.deepEqual([geometry(28, 28, 3, 1, 'valid').outH, geometry(28, 28, 3, 2, 'valid').outH, geometry(28, 28, 3, 2, 'same').outH, geometry(28, 28, 3, 3, 'same').outH], [26, 13, 14, 10]);
    assert.equal(sizeFormula(28, 3, 1, 'valid'), 'valid: ⌊(28 − 3) / 1⌋ + 1 = 26');
    assert.match(sizeFormula(28, 3, 2, 'same'), /⌈28 \/ 2⌉ = 14 +\(zero padding 0 before, 1 after\)/);
  });

  for (const [padding, stride] of [['valid', 1], ['same', 1], ['same', 2], ['valid', 2]] as const) {
    test(`every window sum equals the library's conv2d (${padding}, stride ${stride})`, () => {
      const kernel = [0.5, -1, 2, 0, 1, -0.25, 3, 1 / 9, -2];
      const g = geometry(H, W, 3, stride, padding);
      const y = ops.conv2d(tensor(image, [1, H, W, 1], 'float32'), tensor(Float32Array.from(kernel), [3, 3, 1, 1], 'float32'), { strides: stride, padding });
      assert.deepEqual(y.shape, [1, g.outH, g.outW, 1]);
      for (let r = 0; r < g.outH; r++) for (let c = 0; c < g.outW; c++) {
        const { sum, cells } = convWindow(image, g, kernel, r, c);
        assert.equal(cells.length, 9);
        assert.ok(Math.abs(sum - y.data[r * g.outW + c]) < 1e-5, `(${r}, ${c}): ${sum} vs ${y.data[r * g.outW + c]}`);
      }
    });

    test(`max and average windows equal the library's pooling (${padding}, stride ${stride})`, () => {
      const g = geometry(H, W, 2, stride, padding);
      const x = tensor(image, [1, H, W, 1], 'float32');
      const max = ops.maxPool(x, { poolSize: 2, strides: stride, padding }).data;
      const avg = ops.avgPool(x, { poolSize: 2, strides: stride, padding }).data;
      for (let r = 0; r < g.outH; r++) for (let c = 0; c < g.outW; c++) {
        const m = poolWindow(image, g, 'max', r, c);
        assert.ok(Math.abs(m.value - max[r * g.outW + c]) < 1e-6);
        assert.equal(m.cells[m.winner].x, m.value);
        assert.ok(Math.abs(poolWindow(image, g, 'avg', r, c).value - avg[r * g.outW + c]) < 1e-6);
      }
    });
  }

  test('the identity kernel reproduces the input pixel and padding cells read zero', () => {
    const g = geometry(H, W, 3, 1, 'same');
    assert.ok(Math.abs(convWindow(image, g, KERNEL_PRESETS.identity.values, 2, 3).sum - image[2 * W + 3]) < 1e-7);
    const corner = convWindow(image, g, KERNEL_PRESETS.blur.values, 0, 0);
    assert.equal(corner.cells.filter((c) => !c.inside).length, 5);
    assert.ok(corner.cells.filter((c) => !c.inside).every((c) => c.x === 0));
  });

  test('bad positions and kernel text give clear errors', () => {
    assert.throws(() => convWindow(image, geometry(H, W, 3, 1, 'valid'), KERNEL_PRESETS.edge.values, 5, 0), /Output position \(5, 0\) is outside the 5×4 output/);
    assert.equal(parseKernelValue(' 1/9 '), 1 / 9);
    assert.equal(parseKernelValue('-2.5'), -2.5);
    assert.throws(() => parseKernelValue('abc'), /Kernel value "abc" is not a number/);
    assert.throws(() => parseKernelValue(''), /not a number/);
  });
});
