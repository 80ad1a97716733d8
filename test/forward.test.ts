import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as ops from '../src/ops/index.js';
import { Tensor, tensor } from '../src/tensor/tensor.js';
import { Random } from '../src/utils/random.js';
import { layers } from '../src/layers/index.js';

/*
 * Forward results against hand-computed cases and against straightforward loop implementations
 * written here, independently of the library's kernels and padding helpers.
 */

const rng = new Random(7);

function random(shape: number[]): Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.uniform(-1, 1);
  return new Tensor(data, shape);
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-9, what = 'value'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol * Math.max(1, Math.abs(expected[i])), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** TensorFlow's documented rule: out = ceil(in / s); pad_total = max((out-1)*s + k_eff - in, 0); extra at the end. */
function tfPadding(size: number, k: number, s: number, d: number, same: boolean): [number, number, number] {
  const eff = (k - 1) * d + 1;
  if (!same) return [Math.floor((size - eff) / s) + 1, 0, 0];
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + eff - size, 0);
  return [out, Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Convolution by definition, reading zeros outside the input (the padding). */
function naiveConv(x: Tensor, w: Tensor, s: [number, number], d: [number, number], same: boolean): number[] {
  const [B, H, W, C] = x.shape;
  const [KH, KW, , O] = w.shape;
  const [OH, pt] = tfPadding(H, KH, s[0], d[0], same);
  const [OW, pl] = tfPadding(W, KW, s[1], d[1], same);
  const padded = (b: number, h: number, ww: number, c: number) => {
    const ih = h - pt;
    const iw = ww - pl;
    return ih < 0 || ih >= H || iw < 0 || iw >= W ? 0 : x.data[((b * H + ih) * W + iw) * C + c];
  };
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let o = 0; o < O; o++) {
          let acc = 0;
          for (let i = 0; i < KH; i++)
            for (let j = 0; j < KW; j++)
              for (let c = 0; c < C; c++) acc += padded(b, oh * s[0] + i * d[0], ow * s[1] + j * d[1], c) * w.data[((i * KW + j) * C + c) * O + o];
          out.push(acc);
        }
  return out;
}

function naivePool(x: Tensor, k: [number, number], s: [number, number], same: boolean, kind: 'max' | 'avg'): number[] {
  const [B, H, W, C] = x.shape;
  const [OH, pt] = tfPadding(H, k[0], s[0], 1, same);
  const [OW, pl] = tfPadding(W, k[1], s[1], 1, same);
  const out: number[] = [];
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++)
        for (let c = 0; c < C; c++) {
          const cells: number[] = [];
          for (let i = 0; i < k[0]; i++)
            for (let j = 0; j < k[1]; j++) {
              const ih = oh * s[0] + i - pt;
              const iw = ow * s[1] + j - pl;
              if (ih >= 0 && ih < H && iw >= 0 && iw < W) cells.push(x.data[((b * H + ih) * W + iw) * C + c]);
            }
          out.push(kind === 'max' ? Math.max(...cells) : cells.reduce((a, v) => a + v, 0) / cells.length);
        }
  return out;
}

describe('conv2d forward', () => {
  it('matches a hand-computed 3x3 input with a 2x2 kernel (valid)', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1], 'float64');
    const w = tensor([1, 0, 0, -1], [2, 2, 1, 1], 'float64');
    // Each output is top-left minus bottom-right of its window.
    assert.deepEqual(Array.from(ops.conv2d(x, w).data), [1 - 5, 2 - 6, 4 - 8, 5 - 9]);
  });
  it("puts the extra 'same' padding at the bottom and right, as TensorFlow", () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1], 'float64');
    const w = tensor([1, 10, 100, 1000], [2, 2, 1, 1], 'float64');
    const y = ops.conv2d(x, w, { padding: 'same' });
    assert.deepEqual(y.shape, [1, 3, 3, 1]);
    // Window at (0,0) covers x[0..1][0..1] (no top/left pad); the last row/column read zero padding.
    assert.deepEqual(Array.from(y.data), [
      1 + 20 + 400 + 5000, 2 + 30 + 500 + 6000, 3 + 0 + 600 + 0,
      4 + 50 + 700 + 8000, 5 + 60 + 800 + 9000, 6 + 0 + 900 + 0,
      7 + 80 + 0 + 0, 8 + 90 + 0 + 0, 9,
    ]);
  });
  const cases: [number[], number[], [number, number], [number, number], boolean][] = [
    [[2, 7, 6, 3], [3, 3, 3, 4], [1, 1], [1, 1], false],
    [[2, 7, 6, 3], [3, 3, 3, 4], [1, 1], [1, 1], true],
    [[1, 9, 8, 2], [4, 3, 2, 5], [2, 3], [1, 1], true],
    [[3, 8, 8, 1], [5, 5, 1, 6], [1, 1], [1, 1], true],
    [[1, 10, 9, 2], [3, 2, 2, 3], [1, 1], [2, 3], true],
    [[2, 10, 9, 2], [3, 3, 2, 2], [1, 1], [2, 2], false],
    [[1, 5, 5, 7], [1, 1, 7, 3], [2, 2], [1, 1], false],
  ];
  for (const [xs, ws, s, d, same] of cases) {
    it(`matches a loop implementation: x ${xs} w ${ws} strides ${s} dilation ${d} ${same ? 'same' : 'valid'}`, () => {
      const x = random(xs);
      const w = random(ws);
      const y = ops.conv2d(x, w, { strides: s, dilations: d, padding: same ? 'same' : 'valid' });
      close(y.data, naiveConv(x, w, s, d, same));
    });
  }
});

describe('pooling forward', () => {
  it('max and average of a hand-computed 4x4 input', () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 4, 4, 1], 'float64');
    assert.deepEqual(Array.from(ops.maxPool(x, { poolSize: 2 }).data), [6, 8, 14, 16]);
    assert.deepEqual(Array.from(ops.avgPool(x, { poolSize: 2 }).data), [3.5, 5.5, 11.5, 13.5]);
  });
  it("'same' average pooling divides by the real cells only", () => {
    const x = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1], 'float64');
    const y = ops.avgPool(x, { poolSize: 2, padding: 'same' });
    assert.deepEqual(y.shape, [1, 2, 2, 1]);
    assert.deepEqual(Array.from(y.data), [3, 4.5, 7.5, 9]);
  });
  const cases: [number[], [number, number], [number, number], boolean][] = [
    [[2, 6, 6, 3], [2, 2], [2, 2], false],
    [[2, 7, 5, 2], [3, 3], [2, 2], true],
    [[1, 7, 7, 4], [3, 2], [1, 2], false],
    [[3, 5, 9, 1], [2, 2], [3, 3], true],
  ];
  for (const [xs, k, s, same] of cases) {
    it(`matches a loop implementation: x ${xs} pool ${k} strides ${s} ${same ? 'same' : 'valid'}`, () => {
      const x = random(xs);
      const opts = { poolSize: k, strides: s, padding: same ? ('same' as const) : ('valid' as const) };
      close(ops.maxPool(x, opts).data, naivePool(x, k, s, same, 'max'), 0, 'max');
      close(ops.avgPool(x, opts).data, naivePool(x, k, s, same, 'avg'), 1e-12, 'avg');
    });
  }
});

describe('dense forward', () => {
  it('computes x·W + b and the activation', () => {
    const layer = layers.dense({ units: 2, activation: 'relu', inputShape: [3], dtype: 'float64' });
    layer.apply(tensor([[0, 0, 0]], undefined, 'float64'));
    layer.setWeights([tensor([[1, -1], [2, -2], [3, -3]], undefined, 'float64'), tensor([0.5, 0.5], undefined, 'float64')]);
    const y = layer.apply(tensor([[1, 1, 1], [1, 0, -1]], undefined, 'float64'));
    assert.deepEqual(Array.from(y.data), [6.5, 0, 0, 2.5]);
  });
  it('matMul matches a loop implementation for odd sizes and every transpose', () => {
    for (const [m, k, n] of [[1, 1, 1], [5, 7, 3], [9, 4, 13], [17, 33, 6]]) {
      for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
        const a = random(tA ? [k, m] : [m, k]);
        const b = random(tB ? [n, k] : [k, n]);
        const expected: number[] = [];
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) {
            let s = 0;
            for (let p = 0; p < k; p++) s += (tA ? a.data[p * m + i] : a.data[i * k + p]) * (tB ? b.data[j * k + p] : b.data[p * n + j]);
            expected.push(s);
          }
        close(ops.matMul(a, b, tA, tB).data, expected, 1e-12, `matMul ${m}x${k}x${n} tA=${tA} tB=${tB}`);
      }
    }
  });
  it('softmax rows sum to one and keep their order', () => {
    const y = ops.softmax(tensor([[1, 2, 3], [1000, 1000, 1000]], undefined, 'float64'));
    close(y.data, [0.09003057317038046, 0.24472847105479767, 0.6652409557748219, 1 / 3, 1 / 3, 1 / 3], 1e-12);
  });
});
