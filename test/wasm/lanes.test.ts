import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Backend, Conv2DInfo } from '../../src/kernels/backend.js';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { WasmEngine, createWasmKernels, setNumThreads, testing } from '../../src/kernels/wasm/index.js';
import { layers, sequential, setBackend, setSeed, tensor } from '../../src/index.js';
import { LaneRanges } from '../../src/kernels/wasm/lane_ranges.js';
import { conv2dInfo, pool2dInfo } from '../../src/ops/conv_util.js';
import { Random } from '../../src/utils/random.js';
import { assertClose, int, randomArray } from './helpers.js';

/*
 * Data-parallel lanes (src/kernels/wasm/lanes.ts): inside a step that sets its batch, each
 * batch-wise kernel runs as one call per lane on part of the batch, and the kernels that sum over
 * the batch add the lanes' partials in a reduce command. Every lane kernel must equal the
 * reference on randomised shapes, batches that split unevenly included, and chains of lane calls
 * must read what the same lane wrote, with no barrier between them.
 */

let engine: WasmEngine;
let k: Backend;
before(async () => {
  engine = await WasmEngine.create();
  await engine.setThreads(2);
  // The shapes here are small: split them all the same.
  engine.laneMinWork = 0;
  k = createWasmKernels(engine);
});
after(() => engine.close());

/** Runs f inside a step whose kernels split `batch` into lanes; returns what f returns, read after a flush. */
function inStep<T>(batch: number, f: (owned: (v: Float32Array) => Float32Array, out: (n: number) => Float32Array) => () => T): T {
  const mark = engine.begin();
  const previous = engine.splitBatch(batch);
  try {
    const owned = (v: Float32Array): Float32Array => {
      const a = engine.allocFloat32(v.length, false)!;
      a.set(v);
      return a;
    };
    // NaN-filled outputs: the lanes together must overwrite every value.
    const out = (n: number): Float32Array => engine.allocFloat32(n, false)!.fill(NaN);
    const read = f(owned, out);
    engine.flush();
    return read();
  } finally {
    engine.end(mark);
    engine.splitBatch(previous);
  }
}

/** Asserts that `call` published lane commands (it was split, not run whole). */
function split(call: () => void, what: string): void {
  const before = engine.laneCommands;
  call();
  assert.ok(engine.laneCommands > before, `${what} ran whole instead of in lanes`);
}

function randomConv(rng: Random, batch: number, depthwise = false): Conv2DInfo {
  const h = int(rng, 3, 11);
  const w = int(rng, 3, 11);
  const ci = int(rng, 1, 6);
  const kh = int(rng, 1, Math.min(5, h));
  const kw = int(rng, 1, Math.min(5, w));
  const s: [number, number] = [int(rng, 1, 2), int(rng, 1, 2)];
  return conv2dInfo([batch, h, w, ci], [kh, kw, ci, depthwise ? ci * int(rng, 1, 2) : int(rng, 1, 9)], s, rng.next() < 0.5 ? 'same' : 'valid', [1, 1]);
}

describe('wasm lanes', () => {
  it('convolution kernels (forward, input and filter gradients, depthwise) equal the reference', () => {
    const rng = new Random(41);
    for (let trial = 0; trial < 24; trial++) {
      const batch = int(rng, 2, 9);
      const depthwise = trial % 3 === 2;
      const c = randomConv(rng, batch, depthwise);
      const xSize = batch * c.inHeight * c.inWidth * c.inChannels;
      const ySize = batch * c.outHeight * c.outWidth * c.outChannels;
      const wSize = c.kernelHeight * c.kernelWidth * c.inChannels * (depthwise ? c.outChannels / c.inChannels : c.outChannels);
      const x = randomArray(rng, xSize);
      const w = randomArray(rng, wSize);
      const dy = randomArray(rng, ySize);
      const [y0, dx0, dw0] = [new Float32Array(ySize), new Float32Array(xSize), new Float32Array(wSize)];
      const [fwd, bwdIn, bwdW] = depthwise
        ? (['depthwiseConv2d', 'depthwiseConv2dBackpropInput', 'depthwiseConv2dBackpropFilter'] as const)
        : (['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter'] as const);
      ref[fwd](x, w, y0, c);
      ref[bwdIn](dy, w, dx0, c);
      ref[bwdW](x, dy, dw0, c);
      const label = `${fwd} trial ${trial}, batch ${batch}, ${JSON.stringify(c)}`;
      const [y, dx, dw] = inStep(batch, (owned, out) => {
        const [ox, ow, ody] = [owned(x), owned(w), owned(dy)];
        const [y1, dx1, dw1] = [out(ySize), out(xSize), out(wSize)];
        split(() => k[fwd](ox, ow, y1, c), label);
        split(() => k[bwdIn](ody, ow, dx1, c), label);
        split(() => k[bwdW](ox, ody, dw1, c), label);
        return () => [y1.slice(), dx1.slice(), dw1.slice()];
      });
      assertClose(y, y0, `${label}: forward`);
      assertClose(dx, dx0, `${label}: input gradient`);
      assertClose(dw, dw0, `${label}: filter gradient`);
    }
  });

  it('pooling, dense and elementwise kernels equal the reference', () => {
    const rng = new Random(42);
    for (let trial = 0; trial < 16; trial++) {
      const batch = int(rng, 2, 9);
      const label = `trial ${trial}, batch ${batch}`;
      // Pooling and its gradients.
      const [h, w, ch] = [int(rng, 2, 9), int(rng, 2, 9), int(rng, 1, 5)];
      const p = pool2dInfo([batch, h, w, ch], [2, 2], [int(rng, 1, 2), int(rng, 1, 2)], rng.next() < 0.5 ? 'same' : 'valid');
      const xp = randomArray(rng, batch * h * w * ch);
      const pooled = batch * p.outHeight * p.outWidth * ch;
      const dyp = randomArray(rng, pooled);
      const expect = { max: new Float32Array(pooled), avg: new Float32Array(pooled), maxGrad: new Float32Array(xp.length), avgGrad: new Float32Array(xp.length) };
      ref.maxPool(xp, expect.max, p);
      ref.avgPool(xp, expect.avg, p);
      ref.maxPoolGrad(dyp, xp, expect.maxGrad, p);
      ref.avgPoolGrad(dyp, expect.avgGrad, p);
      // Dense: forward rows by sample, and the weight gradient summed over the batch.
      const [inF, outF] = [int(rng, 1, 40), int(rng, 1, 20)];
      const a = randomArray(rng, batch * inF);
      const wt = randomArray(rng, inF * outF);
      const dyd = randomArray(rng, batch * outF);
      const bias = randomArray(rng, outF);
      const dense = new Float32Array(batch * outF);
      const dInput = new Float32Array(batch * inF);
      const dWeight = new Float32Array(inF * outF);
      const biased = new Float32Array(batch * outF);
      const biasGrad = new Float32Array(outF);
      ref.matMul(a, wt, dense, batch, inF, outF, false, false);
      ref.matMul(dyd, wt, dInput, batch, outF, inF, false, true);
      ref.matMul(a, dyd, dWeight, inF, batch, outF, true, false);
      ref.biasAdd(dense, bias, biased, true);
      ref.reduceSum(dyd, [batch, outF], biasGrad, [1, outF]);
      // Elementwise, softmax and the loss.
      const perSample = randomArray(rng, batch);
      const scaled = new Float32Array(batch * outF);
      const sm = new Float32Array(batch * outF);
      const smGrad = new Float32Array(batch * outF);
      const act = new Float32Array(batch * outF);
      const labels = Int32Array.from({ length: batch }, () => rng.int(outF));
      const losses = new Float32Array(batch);
      const probs = new Float32Array(batch * outF);
      ref.binary('mul', perSample, [batch, 1], dense, [batch, outF], scaled, [batch, outF]);
      ref.softmax(dense, sm, batch, outF);
      ref.softmaxGrad(dyd, sm, smGrad, batch, outF);
      ref.activationGrad('relu', dyd, biased, act, 0);
      ref.sparseSoftmaxCrossEntropy(dense, labels, losses, probs, batch, outF);

      const got = inStep(batch, (owned, out) => {
        const [oxp, odyp, oa, owt, odyd, obias, oper] = [owned(xp), owned(dyp), owned(a), owned(wt), owned(dyd), owned(bias), owned(perSample)];
        const r = {
          max: out(pooled), avg: out(pooled), maxGrad: out(xp.length), avgGrad: out(xp.length),
          dense: out(batch * outF), dInput: out(batch * inF), dWeight: out(inF * outF), biased: out(batch * outF), biasGrad: out(outF),
          scaled: out(batch * outF), sm: out(batch * outF), smGrad: out(batch * outF), act: out(batch * outF), losses: out(batch), probs: out(batch * outF),
        };
        split(() => k.maxPool(oxp, r.max, p), `maxPool ${label}`);
        split(() => k.avgPool(oxp, r.avg, p), `avgPool ${label}`);
        split(() => k.maxPoolGrad(odyp, oxp, r.maxGrad, p), `maxPoolGrad ${label}`);
        split(() => k.avgPoolGrad(odyp, r.avgGrad, p), `avgPoolGrad ${label}`);
        split(() => k.matMul(oa, owt, r.dense, batch, inF, outF, false, false), `matMul ${label}`);
        split(() => k.matMul(odyd, owt, r.dInput, batch, outF, inF, false, true), `matMul (input gradient) ${label}`);
        split(() => k.matMul(oa, odyd, r.dWeight, inF, batch, outF, true, false), `matMul (weight gradient) ${label}`);
        // Reads the lane-written dense output, part by part, with no barrier in between.
        split(() => k.biasAdd(r.dense, obias, r.biased, true), `biasAdd ${label}`);
        split(() => k.reduceSum(odyd, [batch, outF], r.biasGrad, [1, outF]), `reduceSum ${label}`);
        split(() => k.binary('mul', oper, [batch, 1], r.dense, [batch, outF], r.scaled, [batch, outF]), `binary ${label}`);
        split(() => k.softmax(r.dense, r.sm, batch, outF), `softmax ${label}`);
        split(() => k.softmaxGrad(odyd, r.sm, r.smGrad, batch, outF), `softmaxGrad ${label}`);
        split(() => k.activationGrad('relu', odyd, r.biased, r.act, 0), `activationGrad ${label}`);
        split(() => k.sparseSoftmaxCrossEntropy(r.dense, labels, r.losses, r.probs, batch, outF), `sparseSoftmaxCrossEntropy ${label}`);
        return () => Object.fromEntries(Object.entries(r).map(([name, v]) => [name, v.slice()])) as typeof expect & Record<string, Float32Array>;
      });
      for (const name of ['max', 'avg', 'maxGrad', 'avgGrad'] as const) assertClose(got[name], expect[name], `${name} ${label}`);
      const more = { dense, dInput, dWeight, biased, biasGrad, scaled, sm, smGrad, act, losses, probs };
      for (const [name, want] of Object.entries(more)) assertClose(got[name], want, `${name} ${label}`);
    }
  });

  it('runs calls whole where lanes would not be safe or the step set no batch', () => {
    const rng = new Random(43);
    const batch = 4;
    const x = randomArray(rng, batch * 6);
    inStep(batch, (owned, out) => {
      const ox = owned(x);
      const y = out(x.length);
      split(() => k.unary('relu', ox, y, 0), 'relu');
      // A view that overlaps a lane-written tensor without being it would pair lanes with the
      // wrong parts: the call runs whole, as a barrier.
      let before = engine.laneCommands;
      k.unary('neg', y.subarray(batch), out(x.length - batch), 0);
      assert.equal(engine.laneCommands, before, 'a view across a lane-written tensor ran in lanes');
      split(() => k.unary('relu', ox, y, 0), 'relu after a barrier');
      // A whole read of what lanes just wrote (a matMul whose b operand is y) must not start
      // before every lane has written it.
      before = engine.laneCommands;
      k.matMul(ox, y, out(batch * batch), batch, 6, batch, false, true);
      assert.equal(engine.laneCommands, before, 'a whole read of lane-written memory ran in lanes');
      return () => undefined;
    });
    inStep(0, (owned, out) => {
      const before = engine.laneCommands;
      k.unary('relu', owned(x), out(x.length), 0);
      assert.equal(engine.laneCommands, before, 'a step without a batch split a call');
      return () => undefined;
    });
  });

  it('lane_ranges admits only exact parts, never lane-written memory read whole, nor reduce outputs', () => {
    const memory = new Float32Array(64);
    const t = memory.subarray(0, 16);
    const u = memory.subarray(16, 32);
    const r = new LaneRanges();
    assert.ok(r.admits([t], [u], []));
    r.record([t], [u], []);
    assert.ok(r.admits([u], [memory.subarray(32, 48)], [t]), 'the same tensor again, split');
    assert.ok(!r.admits([memory.subarray(8, 24)], [], []), 'a view across two tensors');
    assert.ok(!r.admits([], [], [u]), 'a whole read of a lane-written tensor');
    r.record([], [], [t]);
    assert.ok(!r.admits([], [t], []), 'a split write to a tensor read whole');
    r.recordReduced(memory.subarray(48, 64));
    assert.ok(!r.admits([memory.subarray(48, 64)], [], []), 'a reduce output');
    r.clear();
    assert.ok(r.admits([memory.subarray(48, 64)], [u], [t]), 'after a barrier');
  });

  it('fit splits its batches into lanes on two threads, repeats bit for bit, and agrees with the unsplit step', async () => {
    await setNumThreads(2);
    await setBackend('wasm');
    const rng = new Random(44);
    const n = 96;
    const x = tensor(randomArray(rng, n * 14 * 14, 0, 1), [n, 14, 14, 1]);
    const y = tensor(Int32Array.from({ length: n }, () => rng.int(10)), [n]);
    const run = async (lanes: boolean): Promise<{ weights: number[]; laneCommands: number }> => {
      await testing.setDataParallel(lanes);
      setSeed(7);
      const model = sequential({
        layers: [
          layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [14, 14, 1] }),
          layers.maxPooling2d({ poolSize: 2 }),
          layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' }),
          layers.averagePooling2d({ poolSize: 2 }),
          layers.flatten(),
          layers.dense({ units: 16, activation: 'relu' }),
          layers.dense({ units: 10, activation: 'softmax' }),
        ],
      });
      model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
      const before = testing.laneCommands();
      // Batch 25: lanes of 12 and 13 samples, and a last batch of 21.
      await model.fit(x, y, { epochs: 2, batchSize: 25, shuffle: false, verbose: 0 });
      return { weights: model.getWeights().flatMap((t) => Array.from(t.dataSync())), laneCommands: testing.laneCommands() - before };
    };
    try {
      const [a, b, whole] = [await run(true), await run(true), await run(false)];
      assert.ok(a.laneCommands > 0, 'fit on two threads published no lane commands');
      assert.equal(whole.laneCommands, 0);
      assert.deepEqual(a.weights, b.weights, 'two runs in lanes differ');
      assertClose(a.weights, whole.weights, 'weights trained in lanes against the unsplit step');
    } finally {
      await testing.setDataParallel(true);
    }
  });
});
