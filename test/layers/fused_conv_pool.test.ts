import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { input, layers, model, sequential, setBackend, type Sequential } from '../../src/index.js';
import type { SymbolicTensor } from '../../src/layers/symbolic.js';
import { withTape } from '../../src/autograd/tape.js';
import { kernels } from '../../src/kernels/registry.js';
import { reluFusion } from '../../src/layers/fused_relu.js';
import { conv2dMaxPool } from '../../src/ops/conv_pool.js';
import * as ops from '../../src/ops/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random, setSeed } from '../../src/utils/random.js';
import { checkGradients, randomTensor } from '../helpers/gradcheck.js';

/*
 * In inference a Sequential model runs Conv2D (linear or ReLU) → MaxPooling2D as one kernel
 * (src/ops/conv_pool.ts): predict and evaluate give the floats of the layers run one by one, on
 * the wasm and reference backends; training, a recording tape, other activations, overlapping
 * or padded pools and watched layers take the separate layers.
 */

const rng = new Random(7);

function lenet(activation: string): Sequential {
  return sequential({
    layers: [
      layers.conv2d({ filters: 6, kernelSize: 5, activation, padding: 'same', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 16, kernelSize: 5, activation, padding: 'valid' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 5, kernelSize: 3, useBias: false, activation, padding: 'same' }),
      layers.maxPooling2d({ poolSize: [2, 3] }),
      layers.flatten(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

/** Runs f with a counter on the fused kernel: how many calls it made. */
function countFused<T>(f: () => T): [T, number] {
  const k = kernels() as unknown as Record<string, (...a: unknown[]) => unknown>;
  const original = k.conv2dMaxPool;
  let calls = 0;
  k.conv2dMaxPool = (...args: unknown[]) => (calls++, original(...args));
  try {
    return [f(), calls];
  } finally {
    k.conv2dMaxPool = original;
  }
}

function f32(shape: number[], lo = -1, hi = 1): Tensor {
  const t = randomTensor(shape, rng, lo, hi);
  return new Tensor(Float32Array.from(t.data as Float64Array), shape);
}

function unfused<T>(f: () => T): T {
  reluFusion.enabled = false;
  try {
    return f();
  } finally {
    reluFusion.enabled = true;
  }
}

function sameFloats(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i]) && !(a[i] === 0 && b[i] === 0)) assert.fail(`${what}: element ${i} is ${a[i]}, unfused ${b[i]}`);
}

describe('Conv2D + MaxPooling2D fused in inference', () => {
  for (const backend of ['wasm', 'reference']) {
    for (const activation of ['relu', 'linear']) {
      it(`predict and evaluate equal the layers one by one, float for float: ${backend}, ${activation}`, async () => {
        await setBackend(backend);
        setSeed(3);
        const m = lenet(activation);
        m.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
        const x = f32([37, 28, 28, 1], 0, 1);
        x.data[5] = NaN;
        const y = new Tensor(Int32Array.from({ length: 37 }, (_, i) => i % 10), [37]);
        const [fused, calls] = countFused(() => m.predict(x, { batchSize: 16, checkFinite: false }));
        assert.equal(calls, 3 * 3, 'three conv → pool stages in each of three batches');
        const plain = unfused(() => m.predict(x, { batchSize: 16, checkFinite: false }));
        sameFloats(fused.data, plain.data, 'predict');
        assert.ok(Number.isNaN(fused.data[0]) && !Number.isNaN(fused.data[10]), 'the NaN reaches image 0 only');
        const clean = f32([37, 28, 28, 1], 0, 1);
        const [evalFused, evalCalls] = countFused(() => m.evaluate(clean, y, { batchSize: 16 }));
        assert.equal(evalCalls, 9);
        assert.deepEqual(evalFused, unfused(() => m.evaluate(clean, y, { batchSize: 16 })));
        await setBackend('wasm');
      });
    }
  }

  it('training, a recording tape, other activations, overlapping or padded pools and watched layers run unfused', async () => {
    await setBackend('wasm');
    const x = f32([2, 12, 12, 3]);
    const run = (m: Sequential, training = false): number => countFused(() => m.call(x, training))[1];
    const block = (conv: Record<string, unknown>, pool: Record<string, unknown>): Sequential => sequential({
      layers: [layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [12, 12, 3], ...conv }), layers.maxPooling2d({ poolSize: 2, ...pool })],
    });
    assert.equal(run(block({ activation: 'relu' }, {})), 1);
    assert.equal(run(block({ activation: 'relu' }, {}), true), 0, 'training');
    const m = block({ activation: 'relu' }, {});
    assert.equal(countFused(() => withTape([x], () => m.call(x, false)))[1], 0, 'under a tape');
    assert.equal(run(block({ activation: 'tanh' }, {})), 0, 'tanh');
    // An overlapping or padded pool reaches the op, which runs the separate kernels.
    for (const pool of [{ strides: 1 }, { padding: 'same' }]) {
      const mp = block({ activation: 'relu' }, pool);
      const fused = mp.call(x, false);
      const plain = unfused(() => mp.call(x, false));
      sameFloats(fused.data, plain.data, JSON.stringify(pool));
    }
    const watched = block({ activation: 'relu' }, {});
    const conv = watched.layers[0] as unknown as { apply: unknown };
    const original = (watched.layers[0].apply as (...a: unknown[]) => unknown).bind(watched.layers[0]);
    conv.apply = (...args: unknown[]) => original(...args);
    try {
      assert.equal(run(watched), 0, 'watched conv');
    } finally {
      delete conv.apply;
    }
  });

  it('the op under a tape is the three ops, with their gradients (float64)', () => {
    const x = randomTensor([2, 7, 6, 3], rng, -1, 1);
    const f = randomTensor([3, 3, 3, 4], rng, -1, 1);
    const b = randomTensor([4], rng, -1, 1);
    const w = randomTensor([2, 3, 3, 4], rng, -1, 1);
    checkGradients('conv2dMaxPool', () => ops.sum(ops.mul(conv2dMaxPool(x, f, b, { padding: 'same' }, { poolSize: 2 }, true), w)), [x, f, b]);
  });

  it('bad operands get the Conv2D and BiasAdd errors', () => {
    const x = randomTensor([1, 6, 6, 2], rng);
    assert.throws(() => conv2dMaxPool(x, randomTensor([3, 3, 3, 4], rng), null, {}, { poolSize: 2 }, true), /input has 2 channels but the filter expects 3/);
    assert.throws(() => conv2dMaxPool(x, randomTensor([3, 3, 2, 4], rng), randomTensor([5], rng), {}, { poolSize: 2 }, true), /bias of shape \[5\] does not match the 4 output channels/);
    assert.throws(() => conv2dMaxPool(x, randomTensor([7, 7, 2, 4], rng), null, {}, { poolSize: 2 }, true), /does not fit input/);
  });
});

describe('functional models fuse the same chains', () => {
  /** conv → pool (fuses in inference), conv → BN → ReLU → pool (fuses), and a conv read twice (does not). */
  function graph(): ReturnType<typeof model> {
    const inp = input({ shape: [12, 12, 3] });
    let a = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(inp) as SymbolicTensor;
    a = layers.maxPooling2d({ poolSize: 2 }).apply(a) as SymbolicTensor;
    let b = layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }).apply(a) as SymbolicTensor;
    b = layers.batchNormalization().apply(b) as SymbolicTensor;
    b = layers.reLU().apply(b) as SymbolicTensor;
    b = layers.maxPooling2d({ poolSize: 2 }).apply(b) as SymbolicTensor;
    const shared = layers.conv2d({ filters: 4, kernelSize: 1, activation: 'relu' }).apply(b) as SymbolicTensor;
    const pooled = layers.maxPooling2d({ poolSize: 3 }).apply(shared) as SymbolicTensor;
    const joined = layers.concatenate().apply([layers.flatten().apply(pooled) as SymbolicTensor, layers.flatten().apply(shared) as SymbolicTensor]) as SymbolicTensor;
    return model({ inputs: inp, outputs: layers.dense({ units: 3, activation: 'softmax' }).apply(joined) as SymbolicTensor });
  }

  it('predict equals the unfused graph float for float; training records the fused batch-norm op', async () => {
    await setBackend('wasm');
    setSeed(11);
    const m = graph();
    const x = f32([9, 12, 12, 3]);
    const [fused, calls] = countFused(() => m.predict(x, { batchSize: 4 }));
    assert.equal(calls, 3, 'one conv → pool chain per batch (the conv read twice does not fuse)');
    sameFloats(fused.data, unfused(() => m.predict(x, { batchSize: 4 })).data, 'functional predict');
    const { nodes } = withTape(m.trainableWeights.map((v) => v.value), () => m.call(x, true));
    assert.ok(nodes.some((n) => n.op === 'BatchNormReluMaxPool'), 'BN + ReLU + pool fused in training');
    const { nodes: plain } = unfused(() => withTape(m.trainableWeights.map((v) => v.value), () => m.call(x, true)));
    assert.ok(!plain.some((n) => n.op === 'BatchNormReluMaxPool'));
  });
});
