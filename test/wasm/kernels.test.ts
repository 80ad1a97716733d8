import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ActivationGradOp, BinaryOp, Conv2DInfo, Pool2DInfo, UnaryOp } from '../../src/kernels/backend.js';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { conv2dInfo, pool2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, flavours, int, randomArray, type Flavour } from './helpers.js';

/*
 * Every wasm kernel against the reference kernel on randomised shapes and options. Shapes are
 * drawn from a fixed seed, so a failure names a reproducible case.
 */

let all: Flavour[] = [];
before(async () => {
  all = await flavours();
});
after(() => {
  for (const f of all) f.engine.close();
});

function randomConv(rng: Random): Conv2DInfo | null {
  const k = [int(rng, 1, 5), int(rng, 1, 5)] as [number, number];
  const dilated = rng.next() < 0.25;
  const strides = (dilated ? [1, 1] : [int(rng, 1, 3), int(rng, 1, 3)]) as [number, number];
  const dilations = (dilated ? [int(rng, 1, 3), int(rng, 1, 3)] : [1, 1]) as [number, number];
  const x = [int(rng, 1, 4), int(rng, 1, 13), int(rng, 1, 13), int(rng, 1, 7)];
  const info = conv2dInfo(x, [k[0], k[1], x[3], int(rng, 1, 17)], strides, rng.next() < 0.5 ? 'same' : 'valid', dilations);
  return info.outHeight > 0 && info.outWidth > 0 ? info : null;
}

function randomPool(rng: Random): Pool2DInfo | null {
  const size = [int(rng, 1, 4), int(rng, 1, 4)] as [number, number];
  const strides = [int(rng, 1, 3), int(rng, 1, 3)] as [number, number];
  const x = [int(rng, 1, 3), int(rng, 1, 12), int(rng, 1, 12), int(rng, 1, 9)];
  const info = pool2dInfo(x, size, strides, rng.next() < 0.5 ? 'same' : 'valid');
  return info.outHeight > 0 && info.outWidth > 0 ? info : null;
}

describe('wasm kernels equal the reference kernels (relative 1e-4)', () => {
  it('matMul: 160 shapes, every transpose combination, sizes across the packing blocks', () => {
    const rng = new Random(1);
    for (let t = 0; t < 160; t++) {
      const big = t % 16 === 0;
      const m = big ? int(rng, 100, 300) : int(rng, 1, 40);
      const k = big ? int(rng, 200, 600) : int(rng, 1, 40);
      const n = big ? int(rng, 100, 300) : int(rng, 1, 40);
      const tA = rng.next() < 0.5;
      const tB = rng.next() < 0.5;
      const a = randomArray(rng, m * k);
      const b = randomArray(rng, k * n);
      const expected = new Float32Array(m * n);
      ref.matMul(a, b, expected, m, k, n, tA, tB);
      for (const f of all) {
        const out = new Float32Array(m * n).fill(NaN);
        f.kernels.matMul(a, b, out, m, k, n, tA, tB);
        assertClose(out, expected, `matMul ${m}x${k}x${n} tA=${tA} tB=${tB} (${f.name})`);
      }
    }
  });

  it('conv2d forward, input gradient and filter gradient: 150 geometries', () => {
    const rng = new Random(2);
    let tested = 0;
    while (tested < 150) {
      const c = randomConv(rng);
      if (!c) continue;
      tested++;
      const xSize = c.batch * c.inHeight * c.inWidth * c.inChannels;
      const wSize = c.kernelHeight * c.kernelWidth * c.inChannels * c.outChannels;
      const ySize = c.batch * c.outHeight * c.outWidth * c.outChannels;
      const x = randomArray(rng, xSize);
      const w = randomArray(rng, wSize);
      const dy = randomArray(rng, ySize);
      const y = new Float32Array(ySize);
      const dx = new Float32Array(xSize);
      const dw = new Float32Array(wSize);
      ref.conv2d(x, w, y, c);
      ref.conv2dBackpropInput(dy, w, dx, c);
      ref.conv2dBackpropFilter(x, dy, dw, c);
      const label = JSON.stringify(c);
      for (const f of all) {
        const y2 = new Float32Array(ySize).fill(NaN);
        const dx2 = new Float32Array(xSize).fill(NaN);
        const dw2 = new Float32Array(wSize).fill(NaN);
        f.kernels.conv2d(x, w, y2, c);
        f.kernels.conv2dBackpropInput(dy, w, dx2, c);
        f.kernels.conv2dBackpropFilter(x, dy, dw2, c);
        assertClose(y2, y, `conv2d ${label} (${f.name})`);
        assertClose(dx2, dx, `conv2dBackpropInput ${label} (${f.name})`);
        assertClose(dw2, dw, `conv2dBackpropFilter ${label} (${f.name})`);
      }
    }
  });

  it('conv2d on the lab CNN and LeNet-5 shapes (batch 32, several threads)', () => {
    const rng = new Random(3);
    const shapes: [number[], number[], 'same' | 'valid'][] = [
      [[32, 28, 28, 1], [3, 3, 1, 5], 'same'],
      [[32, 28, 28, 1], [5, 5, 1, 6], 'same'],
      [[32, 14, 14, 6], [5, 5, 6, 16], 'valid'],
      [[2, 9, 9, 16], [1, 1, 16, 12], 'valid'],
    ];
    for (const [xs, ws, padding] of shapes) {
      const c = conv2dInfo(xs, ws, [1, 1], padding, [1, 1]);
      const x = randomArray(rng, xs.reduce((p, d) => p * d, 1));
      const w = randomArray(rng, ws.reduce((p, d) => p * d, 1));
      const ySize = c.batch * c.outHeight * c.outWidth * c.outChannels;
      const dy = randomArray(rng, ySize);
      const y = new Float32Array(ySize);
      const dx = new Float32Array(x.length);
      const dw = new Float32Array(w.length);
      ref.conv2d(x, w, y, c);
      ref.conv2dBackpropInput(dy, w, dx, c);
      ref.conv2dBackpropFilter(x, dy, dw, c);
      for (const f of all) {
        const y2 = new Float32Array(ySize);
        const dx2 = new Float32Array(x.length);
        const dw2 = new Float32Array(w.length);
        f.kernels.conv2d(x, w, y2, c);
        f.kernels.conv2dBackpropInput(dy, w, dx2, c);
        f.kernels.conv2dBackpropFilter(x, dy, dw2, c);
        assertClose(y2, y, `conv2d ${xs} ${ws} (${f.name})`);
        assertClose(dx2, dx, `conv2dBackpropInput ${xs} ${ws} (${f.name})`);
        assertClose(dw2, dw, `conv2dBackpropFilter ${xs} ${ws} (${f.name})`);
      }
    }
  });

  it('max and average pooling with gradients: 120 geometries', () => {
    const rng = new Random(4);
    let tested = 0;
    while (tested < 120) {
      const p = randomPool(rng);
      if (!p) continue;
      tested++;
      const xSize = p.batch * p.inHeight * p.inWidth * p.channels;
      const ySize = p.batch * p.outHeight * p.outWidth * p.channels;
      const x = randomArray(rng, xSize);
      const dy = randomArray(rng, ySize);
      const expect = { max: new Float32Array(ySize), avg: new Float32Array(ySize), maxGrad: new Float32Array(xSize), avgGrad: new Float32Array(xSize) };
      ref.maxPool(x, expect.max, p);
      ref.avgPool(x, expect.avg, p);
      ref.maxPoolGrad(dy, x, expect.maxGrad, p);
      ref.avgPoolGrad(dy, expect.avgGrad, p);
      for (const f of all) {
        const got = { max: new Float32Array(ySize), avg: new Float32Array(ySize), maxGrad: new Float32Array(xSize).fill(NaN), avgGrad: new Float32Array(xSize).fill(NaN) };
        f.kernels.maxPool(x, got.max, p);
        f.kernels.avgPool(x, got.avg, p);
        f.kernels.maxPoolGrad(dy, x, got.maxGrad, p);
        f.kernels.avgPoolGrad(dy, got.avgGrad, p);
        for (const key of Object.keys(expect) as (keyof typeof expect)[]) assertClose(got[key], expect[key], `${key} ${JSON.stringify(p)} (${f.name})`);
      }
    }
  });

  it('max pooling whose windows tile the input (the vector fast path): ties, NaN, -Infinity, odd sizes, 4-19 channels', () => {
    const rng = new Random(41);
    for (let t = 0; t < 60; t++) {
      const size = [int(rng, 1, 3), int(rng, 1, 3)] as [number, number];
      const x4 = [int(rng, 1, 3), int(rng, size[0], 11), int(rng, size[1], 11), int(rng, 4, 19)];
      const p = pool2dInfo(x4, size, size, 'valid');
      const xSize = x4.reduce((a, b) => a * b, 1);
      const ySize = p.batch * p.outHeight * p.outWidth * p.channels;
      // Few distinct values, so windows hold ties: the gradient must go to the first maximum.
      const x = new Float32Array(xSize).map(() => Math.floor(rng.uniform(0, 4)));
      for (let i = 0; i < xSize; i += 7) x[i] = rng.next() < 0.5 ? NaN : -Infinity;
      const dy = randomArray(rng, ySize);
      const max = new Float32Array(ySize);
      const maxGrad = new Float32Array(xSize);
      ref.maxPool(x, max, p);
      ref.maxPoolGrad(dy, x, maxGrad, p);
      for (const f of all) {
        const got = new Float32Array(ySize).fill(NaN);
        const gotGrad = new Float32Array(xSize).fill(NaN);
        f.kernels.maxPool(x, got, p);
        f.kernels.maxPoolGrad(dy, x, gotGrad, p);
        // As plain arrays: f32x4.max returns NaN as its own bit pattern, and any NaN is the answer.
        assert.deepEqual(Array.from(got), Array.from(max), `maxPool ${JSON.stringify(p)} (${f.name})`);
        assert.deepEqual(Array.from(gotGrad, (v) => v + 0), Array.from(maxGrad, (v) => v + 0), `maxPoolGrad ${JSON.stringify(p)} (${f.name})`);
      }
    }
  });

  it('unary ops and activation gradients on odd lengths', () => {
    const rng = new Random(5);
    const unaries: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'square', 'abs', 'relu', 'tanh', 'sigmoid', 'elu', 'leakyRelu', 'reciprocal'];
    const grads: ActivationGradOp[] = ['relu', 'tanh', 'sigmoid', 'elu', 'leakyRelu'];
    for (const n of [1, 3, 4, 7, 64, 1001, 70_001]) {
      for (const op of unaries) {
        const positive = op === 'log' || op === 'sqrt' || op === 'reciprocal';
        const x = positive ? randomArray(rng, n, 0.05, 4) : randomArray(rng, n, -4, 4);
        const expected = new Float32Array(n);
        ref.unary(op, x, expected, 0.2);
        for (const f of all) {
          const out = new Float32Array(n);
          f.kernels.unary(op, x, out, 0.2);
          assertClose(out, expected, `unary ${op} n=${n} (${f.name})`);
        }
      }
      for (const op of grads) {
        const dy = randomArray(rng, n);
        const v = op === 'sigmoid' ? randomArray(rng, n, 0, 1) : randomArray(rng, n);
        const expected = new Float32Array(n);
        ref.activationGrad(op, dy, v, expected, 0.3);
        for (const f of all) {
          const out = new Float32Array(n);
          f.kernels.activationGrad(op, dy, v, out, 0.3);
          assertClose(out, expected, `activationGrad ${op} n=${n} (${f.name})`);
        }
      }
    }
  });

  it('reduceSum over the middle axes (global pooling) adds each sample\'s rows in the reference\'s order, on any thread count', () => {
    const rng = new Random(61);
    for (const shape of [[64, 4, 4, 256], [3, 5, 7, 9], [130, 8, 8, 64], [2, 17, 20], [1, 3, 3, 5], [5, 1, 1, 6]]) {
      const x = randomArray(rng, shape.reduce((p, d) => p * d, 1));
      const kept = shape.map((d, i) => (i === 0 || i === shape.length - 1 ? d : 1));
      const expected = new Float32Array(shape[0] * shape[shape.length - 1]);
      ref.reduceSum(x, shape, expected, kept);
      for (const f of all) {
        const out = new Float32Array(expected.length).fill(NaN);
        f.kernels.reduceSum(x, shape, out, kept);
        assert.deepEqual(out, expected, `reduceSum [${shape}] -> [${kept}] (${f.name})`);
      }
    }
  });

  it('binary ops with broadcasting, reduceSum over any axes, biasAdd', () => {
    const rng = new Random(6);
    const binaries: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'maximum', 'minimum'];
    for (let t = 0; t < 120; t++) {
      const rank = int(rng, 1, 4);
      const outShape = Array.from({ length: rank }, () => int(rng, 1, 7));
      const pick = (): number[] => {
        const r = rng.next();
        if (r < 0.3) return outShape;
        if (r < 0.45) return [1];
        const drop = int(rng, 0, rank - 1);
        return outShape.slice(drop).map((d) => (rng.next() < 0.4 ? 1 : d));
      };
      const aShape = pick();
      const bShape = t % 2 ? outShape : pick();
      const size = (s: number[]): number => s.reduce((p, d) => p * d, 1);
      const op = binaries[t % binaries.length];
      const a = randomArray(rng, size(aShape));
      const b = op === 'div' ? randomArray(rng, size(bShape), 0.5, 2) : randomArray(rng, size(bShape));
      const expected = new Float32Array(size(outShape));
      ref.binary(op, a, aShape, b, bShape, expected, outShape);
      const kept = outShape.map((d) => (rng.next() < 0.5 ? 1 : d));
      const x = randomArray(rng, size(outShape));
      const sumExpected = new Float32Array(size(kept));
      ref.reduceSum(x, outShape, sumExpected, kept);
      for (const f of all) {
        const out = new Float32Array(expected.length);
        f.kernels.binary(op, a, aShape, b, bShape, out, outShape);
        assertClose(out, expected, `binary ${op} [${aShape}] [${bShape}] -> [${outShape}] (${f.name})`);
        const sum = new Float32Array(sumExpected.length).fill(NaN);
        f.kernels.reduceSum(x, outShape, sum, kept);
        assertClose(sum, sumExpected, `reduceSum [${outShape}] -> [${kept}] (${f.name})`);
      }
    }
    for (const [rows, c] of [[1, 1], [7, 5], [32, 120], [3, 13], [25088, 5], [64, 37], [9, 16], [5, 4]]) {
      const x = randomArray(rng, rows * c);
      const bias = randomArray(rng, c);
      const expected = new Float32Array(rows * c);
      ref.biasAdd(x, bias, expected);
      const sumExpected = new Float32Array(c);
      ref.reduceSum(x, [rows, c], sumExpected, [1, c]);
      for (const f of all) {
        const out = new Float32Array(rows * c);
        f.kernels.biasAdd(x, bias, out);
        assertClose(out, expected, `biasAdd ${rows}x${c} (${f.name})`);
        // With relu in the same pass: exactly relu of the sum, a NaN and a -0 sum included.
        const xr = x.slice();
        if (rows > 2) [xr[0], xr[1]] = [NaN, -0 - bias[1 % c]];
        const fused = new Float32Array(rows * c);
        const fusedExpected = new Float32Array(rows * c);
        ref.biasAdd(xr, bias, fusedExpected, true);
        f.kernels.biasAdd(xr, bias, fused, true);
        assert.deepEqual(fused, fusedExpected, `biasAdd with relu ${rows}x${c} (${f.name})`);
        assert.ok(fusedExpected.every((v) => (v >= 0 || Number.isNaN(v)) && !Object.is(v, -0)), `relu leaves no negative or -0 (${rows}x${c})`);
        if (rows > 2) assert.ok(Number.isNaN(fused[0]), `relu keeps NaN, as TensorFlow and PyTorch do (${rows}x${c})`);
        const sum = new Float32Array(c);
        f.kernels.reduceSum(x, [rows, c], sum, [1, c]);
        // Summed row by row as the reference does, so equal bit for bit.
        assert.deepEqual(sum, sumExpected, `bias gradient ${rows}x${c} (${f.name})`);
      }
    }
  });

  it('softmax, its gradient and sparse softmax cross-entropy', () => {
    const rng = new Random(7);
    for (const [rows, cols] of [[1, 1], [1, 10], [32, 10], [5, 7], [3, 1000], [128, 10]]) {
      const x = randomArray(rng, rows * cols, -8, 8);
      const dy = randomArray(rng, rows * cols);
      const labels = Uint8Array.from({ length: rows }, () => rng.int(cols));
      const e = { sm: new Float32Array(rows * cols), grad: new Float32Array(rows * cols), loss: new Float32Array(rows), probs: new Float32Array(rows * cols) };
      ref.softmax(x, e.sm, rows, cols);
      ref.softmaxGrad(dy, e.sm, e.grad, rows, cols);
      ref.sparseSoftmaxCrossEntropy(x, labels, e.loss, e.probs, rows, cols);
      for (const f of all) {
        const g = { sm: new Float32Array(rows * cols), grad: new Float32Array(rows * cols), loss: new Float32Array(rows), probs: new Float32Array(rows * cols) };
        f.kernels.softmax(x, g.sm, rows, cols);
        f.kernels.softmaxGrad(dy, e.sm, g.grad, rows, cols);
        f.kernels.sparseSoftmaxCrossEntropy(x, Int32Array.from(labels), g.loss, g.probs, rows, cols);
        for (const key of Object.keys(e) as (keyof typeof e)[]) assertClose(g[key], e[key], `${key} ${rows}x${cols} (${f.name})`);
      }
    }
  });

  it('Adam, AdamW, SGD (momentum, Nesterov, weight decay) and RMSprop over several steps', () => {
    const rng = new Random(8);
    for (const n of [1, 5, 120, 117_613]) {
      const init = randomArray(rng, n);
      const grads = [randomArray(rng, n), randomArray(rng, n), randomArray(rng, n)];
      type State = Float32Array[];
      const variants: [string, (k: typeof ref, s: State, g: Float32Array, step: number) => void, number][] = [
        ['adam', (k, s, g, step) => k.adamUpdate(s[0], g, s[1], s[2], { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step, weightDecay: 0 }), 3],
        ['adamw', (k, s, g, step) => k.adamUpdate(s[0], g, s[1], s[2], { lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, step, weightDecay: 0.05 }), 3],
        ['sgd', (k, s, g) => k.sgdUpdate(s[0], g, null, 0.1, 0, false, 0), 1],
        ['sgd momentum nesterov decay', (k, s, g) => k.sgdUpdate(s[0], g, s[1], 0.1, 0.9, true, 0.01), 2],
        ['sgd momentum', (k, s, g) => k.sgdUpdate(s[0], g, s[1], 0.05, 0.8, false, 0), 2],
        ['rmsprop', (k, s, g) => k.rmspropUpdate(s[0], g, s[1], null, 0.001, 0.9, 0, 1e-7), 2],
        ['rmsprop momentum', (k, s, g) => k.rmspropUpdate(s[0], g, s[1], s[2], 0.001, 0.9, 0.5, 1e-7), 3],
      ];
      for (const [name, update, slots] of variants) {
        const fresh = (): State => [init.slice(), ...Array.from({ length: slots - 1 }, () => new Float32Array(n))];
        const expected = fresh();
        grads.forEach((g, i) => update(ref, expected, g, i + 1));
        for (const f of all) {
          const got = fresh();
          grads.forEach((g, i) => update(f.kernels as typeof ref, got, g, i + 1));
          got.forEach((s, i) => assertClose(s, expected[i], `${name} slot ${i} n=${n} (${f.name})`));
        }
      }
    }
  });

  it('Adam over many variables in one call equals Adam per variable, bit for bit', () => {
    const rng = new Random(18);
    // Lengths that are not multiples of four put share boundaries inside variables.
    const lengths = [7, 1, 4_801, 120, 3, 48_000, 10, 84];
    const grads = lengths.map((n) => randomArray(rng, n));
    const init = lengths.map((n) => randomArray(rng, n));
    const state = { lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 3, weightDecay: 0.004 };
    for (const f of all) {
      const one = init.map((p) => ({ param: p.slice(), m: new Float32Array(p.length), v: new Float32Array(p.length) }));
      const many = init.map((p) => ({ param: p.slice(), m: new Float32Array(p.length), v: new Float32Array(p.length) }));
      for (let step = 1; step <= 3; step++) {
        one.forEach((o, i) => f.kernels.adamUpdate(o.param, grads[i], o.m, o.v, { ...state, step }));
        f.kernels.adamUpdateMany!(many.map((o, i) => ({ ...o, grad: grads[i] })), { ...state, step });
      }
      many.forEach((o, i) => {
        assert.deepEqual(o.param, one[i].param, `param ${i} (${f.name})`);
        assert.deepEqual(o.m, one[i].m, `m ${i} (${f.name})`);
        assert.deepEqual(o.v, one[i].v, `v ${i} (${f.name})`);
      });
    }
  });

  it('float64 inputs are served exactly by the reference kernels', () => {
    const rng = new Random(9);
    const a = Float64Array.from(randomArray(rng, 12));
    const b = Float64Array.from(randomArray(rng, 12));
    const expected = new Float64Array(9);
    ref.matMul(a, b, expected, 3, 4, 3, false, false);
    for (const f of all) {
      const out = new Float64Array(9);
      f.kernels.matMul(a, b, out, 3, 4, 3, false, false);
      assert.deepEqual(out, expected);
    }
  });

  it('rejects unknown op names with the list of valid ones', () => {
    const x = new Float32Array(4);
    assert.throws(() => all[0].kernels.unary('cube' as UnaryOp, x, x, 0), /Unknown unary op 'cube'; expected one of neg, exp/);
  });
});
