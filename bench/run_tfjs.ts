/**
 * Benchmark runner for TensorFlow.js 4.22, started by bench/index.ts:
 *   node --import tsx bench/run_tfjs.ts --system cpu|wasm --data FILE [--quick]
 *
 * tfjs-backend-wasm 4.22 has no Conv2DBackpropFilter kernel (tensorflow/tfjs#8474), so it cannot
 * train a Conv2D model as shipped. We register one from plain JS (the loop below, with the same
 * TF padding rules), as the figures did; the report says so.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { BIG_INFER_CASES, BIG_MODELS, BIG_TRAIN_CASES, CONV_CASES, GEMM_N, batchClock, bigInferKey, bigTrainKey, imagesIn, INFER_BATCH, TRAIN_CASES, convFlops, parseArgs, readData, rowWanted, timeRepeats, type Measurement, type ModelName, type RunnerResult } from './common.js';
import { buildBigModel } from './tfjs_models.js';
import { conv2dInfo } from '../src/ops/conv_util.js';

interface KernelArgs {
  inputs: { x: tf.TensorInfo; dy: tf.TensorInfo };
  backend: { readSync(id: unknown): unknown; makeOutput(shape: number[], dtype: 'float32', offset?: number, values?: Float32Array): tf.TensorInfo };
  attrs: { strides: number | [number, number]; pad: 'same' | 'valid'; dilations?: number | [number, number]; filterShape: [number, number, number, number]; dataFormat?: string };
}

/** dW[kh,kw,ci,co] = Σ x[b, oh*s+kh*d-pt, ow*s+kw*d-pl, ci] · dy[b, oh, ow, co], in plain JS. */
function conv2dBackpropFilterJs({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = backend.readSync(inputs.x.dataId) as Float32Array;
  const dy = backend.readSync(inputs.dy.dataId) as Float32Array;
  const pair = (v: number | [number, number] | undefined): [number, number] => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v);
  const c = conv2dInfo(inputs.x.shape, attrs.filterShape, pair(attrs.strides), attrs.pad, pair(attrs.dilations));
  const { inHeight: H, inWidth: W, inChannels: CI, outHeight: OH, outWidth: OW, outChannels: CO } = c;
  const dw = new Float32Array(c.kernelHeight * c.kernelWidth * CI * CO);
  for (let b = 0; b < c.batch; b++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const o = ((b * OH + oh) * OW + ow) * CO;
        for (let kh = 0; kh < c.kernelHeight; kh++) {
          const ih = oh * c.strideHeight - c.padTop + kh * c.dilationHeight;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < c.kernelWidth; kw++) {
            const iw = ow * c.strideWidth - c.padLeft + kw * c.dilationWidth;
            if (iw < 0 || iw >= W) continue;
            const xi = ((b * H + ih) * W + iw) * CI;
            const wi = (kh * c.kernelWidth + kw) * CI * CO;
            for (let ci = 0; ci < CI; ci++) {
              const xv = x[xi + ci];
              for (let co = 0; co < CO; co++) dw[wi + ci * CO + co] += xv * dy[o + co];
            }
          }
        }
      }
    }
  }
  return backend.makeOutput([...attrs.filterShape], 'float32', undefined, dw);
}

function buildModel(name: ModelName): tf.Sequential {
  const m = tf.sequential();
  if (name === 'lab') {
    m.add(tf.layers.conv2d({ filters: 5, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 120, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  } else {
    m.add(tf.layers.conv2d({ filters: 6, kernelSize: 5, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', padding: 'valid' }));
    m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
    m.add(tf.layers.flatten());
    m.add(tf.layers.dense({ units: 120, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 84, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  }
  return m;
}

const args = parseArgs();
const data = readData(args.dataFile);
const notes: string[] = [];
if (args.system === 'wasm') {
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '/'));
  tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: conv2dBackpropFilterJs as unknown as tf.KernelFunc });
  notes.push('tfjs-backend-wasm: Conv2DBackpropFilter registered from plain JS (missing in 4.22, tensorflow/tfjs#8474); SIMD build, 1 thread (threads are not available in Node)');
}
await tf.setBackend(args.system);
await tf.ready();
const slow = args.system === 'cpu';
const measurements: Measurement[] = [];

for (const { model: name, batch } of TRAIN_CASES) {
  if (!rowWanted(`train ${name} batch ${batch}`)) continue;
  if (slow && batch > 32) {
    notes.push(`tfjs cpu: train ${name} batch ${batch} skipped (too slow to repeat: a step takes seconds)`);
    continue;
  }
  const model = buildModel(name);
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy' });
  const values = await timeRepeats(async (steps) => {
    const n = steps * batch;
    const xs = tf.tensor4d(data.x.subarray(0, n * 784), [n, 28, 28, 1]);
    const ys = tf.tensor1d(data.y.subarray(0, n), 'float32');
    const clock = batchClock();
    await model.fit(xs, ys, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0, callbacks: { onBatchEnd: clock.onBatchEnd } });
    xs.dispose();
    ys.dispose();
    return clock.timing();
  }, batch, { quick: args.quick, maxUnits: slow ? 3 : Math.floor(data.count / batch), minUnits: 3 });
  measurements.push({ key: `train ${name} batch ${batch}`, unit: 'samples/s', values });
  model.dispose();
}

for (const name of ['lab', 'lenet'] as const) {
  if (!rowWanted(`predict ${name} batch ${INFER_BATCH}`)) continue;
  const model = buildModel(name);
  const values = await timeRepeats((steps) => {
    const n = steps * INFER_BATCH;
    tf.tidy(() => {
      const out = model.predict(tf.tensor4d(data.x.subarray(0, n * 784), [n, 28, 28, 1]), { batchSize: INFER_BATCH }) as tf.Tensor;
      out.dataSync();
    });
  }, INFER_BATCH, { quick: args.quick, maxUnits: slow ? 2 : Math.floor(data.count / INFER_BATCH) });
  measurements.push({ key: `predict ${name} batch ${INFER_BATCH}`, unit: 'samples/s', values });
  model.dispose();
}

for (const { model: name, batch } of BIG_TRAIN_CASES) {
  const key = bigTrainKey(name, batch);
  if (!rowWanted(key)) continue;
  if (slow) {
    notes.push(`tfjs cpu: ${key} skipped (too slow to repeat)`);
    continue;
  }
  const { imageShape, params } = BIG_MODELS[name];
  const model = buildBigModel(name);
  if (model.countParams() !== params) throw new Error(`bench: TF.js ${name} has ${model.countParams()} parameters, expected ${params}`);
  model.compile({ optimizer: tf.train.adam(0.001), loss: 'sparseCategoricalCrossentropy' });
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  const maxUnits = Math.floor(Math.min(imagesIn(data.x.length, imageShape), data.count) / batch);
  const values = await timeRepeats(async (steps) => {
    const n = steps * batch;
    const xs = tf.tensor4d(data.x.subarray(0, n * pixels), [n, ...imageShape]);
    const ys = tf.tensor1d(data.y.subarray(0, n), 'float32');
    const clock = batchClock();
    await model.fit(xs, ys, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0, callbacks: { onBatchEnd: clock.onBatchEnd } });
    xs.dispose();
    ys.dispose();
    return clock.timing();
  }, batch, { quick: args.quick, maxUnits, minUnits: Math.min(3, maxUnits) });
  measurements.push({ key, unit: 'samples/s', values });
  model.dispose();
}

for (const name of BIG_INFER_CASES) {
  const key = bigInferKey(name);
  if (!rowWanted(key) || slow) continue;
  const { imageShape } = BIG_MODELS[name];
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  const model = buildBigModel(name);
  const values = await timeRepeats((steps) => {
    const n = steps * INFER_BATCH;
    tf.tidy(() => {
      const out = model.predict(tf.tensor4d(data.x.subarray(0, n * pixels), [n, ...imageShape]), { batchSize: INFER_BATCH }) as tf.Tensor;
      out.dataSync();
    });
  }, INFER_BATCH, { quick: args.quick, maxUnits: Math.floor(imagesIn(data.x.length, imageShape) / INFER_BATCH) });
  measurements.push({ key, unit: 'samples/s', values });
  model.dispose();
}

if (rowWanted(`GEMM ${GEMM_N}x${GEMM_N}x${GEMM_N}`)) {
  const n = GEMM_N;
  const a = tf.randomUniform([n, n]);
  const b = tf.randomUniform([n, n]);
  const values = await timeRepeats((units) => {
    for (let u = 0; u < units; u++) tf.tidy(() => tf.matMul(a, b).dataSync());
  }, 2 * n * n * n, { quick: args.quick, maxUnits: slow ? 1 : 50, scale: 1e9 });
  measurements.push({ key: `GEMM ${n}x${n}x${n}`, unit: 'GFLOP/s', values });
}
for (const cc of CONV_CASES) {
  if (!rowWanted(cc.key)) continue;
  const x = tf.tensor4d(data.x.subarray(0, cc.x.reduce((p, d) => p * d, 1)), cc.x as [number, number, number, number]);
  const w = tf.randomUniform(cc.w as [number, number, number, number]) as tf.Tensor4D;
  const values = await timeRepeats((units) => {
    for (let u = 0; u < units; u++) tf.tidy(() => tf.conv2d(x, w, 1, cc.padding).dataSync());
  }, convFlops(cc.x, cc.w, cc.padding), { quick: args.quick, maxUnits: 1000, scale: 1e9 });
  measurements.push({ key: cc.key, unit: 'GFLOP/s', values });
}

const result: RunnerResult = { system: `tfjs ${args.system}`, version: `@tensorflow/tfjs ${tf.version.tfjs}`, measurements, notes };
process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
