/**
 * Benchmark runner for convlab (one backend and thread count per process), started by
 * bench/index.ts: node --import tsx bench/run_convlab.ts --system reference|wasm --threads N --data FILE [--quick]
 */
import { setBackend, tensor, type Sequential } from '../src/index.js';
import { kernels } from '../src/kernels/registry.js';
import { setNumThreads, testing, wasmInfo } from '../src/kernels/wasm/index.js';
import { checkFinite } from '../src/models/input_checks.js';
import { conv2dInfo } from '../src/ops/conv_util.js';
import { setSeed } from '../src/utils/random.js';
import { cifarCnnBn } from '../src/zoo/cifar.js';
import { buildBigModel, buildModel } from './convlab_models.js';
import { decodeRows } from './decode_rows.js';
import { BIG_INFER_CASES, BIG_MODELS, BIG_TRAIN_CASES, CONV_CASES, GEMM_N, batchClock, bigInferKey, bigTrainKey, imagesIn, INFER_BATCH, TRAIN_CASES, convFlops, median, parseArgs, readData, rowWanted, timeRepeats, type Measurement, type RunnerResult, type SteadyTiming } from './common.js';

/**
 * Thread scaling from alternating pairs in this one process: one thread then N, N then one, and
 * so on, each pair seconds apart. The machine is shared, and its speed drifts by tens of percent
 * within minutes, so the ratio of two figures that separate processes took minutes apart says
 * little about threads; the median ratio of close pairs says more. The pool stays up throughout
 * (one thread means the main thread runs every kernel while the workers sleep): new workers run
 * slower for their first hundred steps or so, which would count against threads.
 */
async function alternatingScaling(run: (steps: number) => Promise<SteadyTiming | undefined>, steps: number, pairs: number, threads: number): Promise<number[]> {
  const rate = async (t: number): Promise<number> => {
    await testing.limitThreads(t);
    await run(3);
    const timing = await run(steps);
    if (!timing) throw new Error(`bench: a ${steps}-step fit reported no steady timing`);
    return timing.units / timing.ms;
  };
  // One untimed pair first: switching the thread count sends the step down other code paths
  // (lanes or not), and V8 re-optimizes what that deoptimizes (eight deoptimizations and twenty
  // optimizations in the first pair of the lab CNN's, under node --trace-deopt --trace-opt).
  await rate(1);
  await rate(threads);
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    // Alternate which goes first, so that a steady drift favours neither.
    if (p % 2 === 0) {
      const one = await rate(1);
      ratios.push((await rate(threads)) / one);
    } else {
      const many = await rate(threads);
      ratios.push(many / (await rate(1)));
    }
  }
  await testing.limitThreads(Infinity);
  return ratios;
}

const args = parseArgs();
const data = readData(args.dataFile);
/**
 * Pairs per thread-scaling row: 2·repeats + 1. On a shared two-core machine single pairs range
 * from 1.0x to 2.0x, and the median of five flipped between runs minutes apart (lab CNN at batch
 * 32: 1.65x, then 1.43x; LeNet-5: 1.43x, then 1.77x); eleven cost about a minute more per run.
 */
const scalingPairs = 2 * args.repeats + 1;
if (args.system === 'wasm') await setNumThreads(args.threads);
await setBackend(args.system);
const measurements: Measurement[] = [];
const slow = args.system === 'reference';

/** One epoch of `fit` over the first `steps` batches of the data (as images of `imageShape`), timed per batch. */
function fitSteps(model: Sequential, batch: number, imageShape: [number, number, number]): (steps: number) => Promise<SteadyTiming | undefined> {
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  return async (steps) => {
    const n = steps * batch;
    const xs = tensor(data.x.subarray(0, n * pixels), [n, ...imageShape]);
    const ys = tensor(data.y.subarray(0, n), [n]);
    const clock = batchClock();
    await model.fit(xs, ys, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0, callbacks: { onBatchEnd: clock.onBatchEnd } });
    return clock.timing();
  };
}

for (const { model: name, batch } of TRAIN_CASES) {
  if (!rowWanted(`train ${name} batch ${batch}`)) continue;
  setSeed(1);
  const model = buildModel(name);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const maxUnits = Math.floor(data.count / batch);
  const train = fitSteps(model, batch, [28, 28, 1]);
  const values = await timeRepeats(train, batch, { quick: args.quick, maxUnits, minUnits: 3 });
  measurements.push({ key: `train ${name} batch ${batch}`, unit: 'samples/s', values });
  if (args.system === 'wasm' && args.threads > 1) {
    const steps = Math.min(maxUnits, Math.max(3, Math.round(((args.quick ? 0.25 : 1.5) * median(values)) / batch)));
    const ratios = await alternatingScaling(train, steps, scalingPairs, args.threads);
    measurements.push({ key: `train ${name} batch ${batch}: ${args.threads} threads / 1, alternating pairs`, unit: 'x', values: ratios });
  }
}

if (args.system === 'wasm' && args.threads > 1 && rowWanted('train cifar_cnn_bn')) {
  // The same pairs on a larger model, the Keras CIFAR-10 CNN with BatchNormalization (1.25 M
  // parameters, 32x32x3 inputs cut from the same synthetic pixels): at batch 32 its kernels are
  // large enough that the threads' per-kernel hand-offs, which bound the small models, matter less.
  setSeed(1);
  const model = cifarCnnBn();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const batch = 32;
  const ratios = await alternatingScaling(fitSteps(model, batch, [32, 32, 3]), args.quick ? 4 : 10, scalingPairs, args.threads);
  measurements.push({ key: `train cifar_cnn_bn batch ${batch}: ${args.threads} threads / 1, alternating pairs`, unit: 'x', values: ratios });
}

for (const name of ['lab', 'lenet'] as const) {
  if (!rowWanted(`predict ${name} batch ${INFER_BATCH}`)) continue;
  setSeed(1);
  const model = buildModel(name);
  const values = await timeRepeats((steps) => {
    const n = steps * INFER_BATCH;
    model.predict(tensor(data.x.subarray(0, n * 784), [n, 28, 28, 1]), { batchSize: INFER_BATCH });
  }, INFER_BATCH, { quick: args.quick, maxUnits: Math.floor(data.count / INFER_BATCH) });
  measurements.push({ key: `predict ${name} batch ${INFER_BATCH}`, unit: 'samples/s', values });
}

for (const { model: name, batch } of BIG_TRAIN_CASES) {
  const key = bigTrainKey(name, batch);
  if (!rowWanted(key)) continue;
  if (slow) continue;
  const { imageShape, params } = BIG_MODELS[name];
  setSeed(1);
  const model = buildBigModel(name);
  if (model.countParams() !== params) throw new Error(`bench: ${name} has ${model.countParams()} parameters, expected ${params}`);
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const maxUnits = Math.floor(Math.min(imagesIn(data.x.length, imageShape), data.count) / batch);
  const values = await timeRepeats(fitSteps(model, batch, imageShape), batch, { quick: args.quick, maxUnits, minUnits: Math.min(3, maxUnits) });
  measurements.push({ key, unit: 'samples/s', values });
}

for (const name of BIG_INFER_CASES) {
  const key = bigInferKey(name);
  if (!rowWanted(key) || slow) continue;
  const { imageShape } = BIG_MODELS[name];
  const pixels = imageShape[0] * imageShape[1] * imageShape[2];
  setSeed(1);
  const model = buildBigModel(name);
  const values = await timeRepeats((steps) => {
    const n = steps * INFER_BATCH;
    model.predict(tensor(data.x.subarray(0, n * pixels), [n, ...imageShape]), { batchSize: INFER_BATCH });
  }, INFER_BATCH, { quick: args.quick, maxUnits: Math.floor(imagesIn(data.x.length, imageShape) / INFER_BATCH) });
  measurements.push({ key, unit: 'samples/s', values });
}

if (rowWanted('input check for NaN/Infinity (28x28 float32)')) {
  // The cost of fit/evaluate/predict's one pass over float inputs for NaN and ±Infinity
  // (checkFinite), in samples checked per second: compare with the training rows above. uint8
  // pixels, as the datasets load, are not checked at all.
  const x = tensor(data.x, [data.count, 28, 28, 1]);
  const values = await timeRepeats((units) => {
    for (let u = 0; u < units; u++) checkFinite(x, 'x', 'bench');
  }, data.count, { quick: args.quick, maxUnits: 1000 });
  measurements.push({ key: 'input check for NaN/Infinity (28x28 float32)', unit: 'samples/s', values });
}

// The image-folder pipeline's decode + resize rows, once (they do not depend on the backend).
if (args.system === 'wasm' && args.threads === 1) measurements.push(...(await decodeRows(args.quick)));

const k = kernels();
/** A float array in the backend's memory where it has some (the wasm arena), else on the heap. */
const resident = (length: number): Float32Array => k.arena?.allocFloat32(length) ?? new Float32Array(length);
if (rowWanted(`GEMM ${GEMM_N}x${GEMM_N}x${GEMM_N}`)) {
  const n = GEMM_N;
  // The operands live in the backend's memory, as TF.js's tensors live in its backend (the wasm
  // backend's arena; the heap for the reference); the product is copied out, as dataSync does.
  const mark = k.arena?.begin();
  const a = resident(n * n);
  for (let i = 0; i < a.length; i++) a[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const b = resident(n * n);
  for (let i = 0; i < b.length; i++) b[i] = a[a.length - 1 - i];
  const c = new Float32Array(n * n);
  const values = await timeRepeats((units) => {
    for (let u = 0; u < units; u++) k.matMul(a, b, c, n, n, n, false, false);
  }, 2 * n * n * n, { quick: args.quick, maxUnits: slow ? 2 : 50, scale: 1e9 });
  measurements.push({ key: `GEMM ${n}x${n}x${n}`, unit: 'GFLOP/s', values });
  if (mark !== undefined) k.arena?.end(mark);
}
for (const cc of CONV_CASES) {
  if (!rowWanted(cc.key)) continue;
  // As for GEMM: input and filter in the backend's memory, the output copied out.
  const mark = k.arena?.begin();
  const info = conv2dInfo(cc.x, cc.w, [1, 1], cc.padding, [1, 1]);
  const x = resident(cc.x.reduce((p, d) => p * d, 1));
  x.set(data.x.subarray(0, x.length));
  const w = resident(cc.w.reduce((p, d) => p * d, 1));
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i);
  const out = new Float32Array(info.batch * info.outHeight * info.outWidth * info.outChannels);
  const values = await timeRepeats((units) => {
    for (let u = 0; u < units; u++) k.conv2d(x, w, out, info);
  }, convFlops(cc.x, cc.w, cc.padding), { quick: args.quick, maxUnits: 1000, scale: 1e9 });
  measurements.push({ key: cc.key, unit: 'GFLOP/s', values });
  if (mark !== undefined) k.arena?.end(mark);
}

const info = wasmInfo();
const result: RunnerResult = {
  system: args.system === 'wasm' ? `convlab wasm ${args.threads}T` : 'convlab reference',
  version: 'convlab 0.1.0',
  measurements,
  notes: [...(args.system === 'wasm' ? [`wasm build: ${info.relaxedSimd ? 'relaxed SIMD (FMA)' : 'portable SIMD'}, ${info.sharedMemory ? 'shared' : 'private'} memory, ${info.threads} thread(s)`] : []), ...(slow ? ['reference: the real-size models\' rows skipped (seconds per step)'] : [])],
};
process.stdout.write(`\nRESULT ${JSON.stringify(result)}\n`);
