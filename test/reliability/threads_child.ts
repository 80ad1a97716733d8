/**
 * Child process of threads.test.ts: trains a small CNN on the wasm backend with the thread count
 * given as the first argument and prints the per-batch losses and final weights as JSON.
 */
import { layers, sequential, setBackend, setSeed, tensor, type Tensor } from '../../src/index.js';
import { getNumThreads, setNumThreads } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';

const SAMPLES = 256;

/** Four classes, each lighting a different quarter of the rows of a noisy 16x16x2 image. */
function data(): [Tensor, Tensor] {
  const rng = new Random(5);
  const x = new Float32Array(SAMPLES * 16 * 16 * 2);
  const y = new Int32Array(SAMPLES);
  for (let s = 0; s < SAMPLES; s++) {
    y[s] = rng.int(4);
    for (let i = 0; i < 512; i++) x[s * 512 + i] = rng.uniform(0, 0.3) + (i >> 7 === y[s] ? 0.6 : 0);
  }
  return [tensor(x, [SAMPLES, 16, 16, 2]), tensor(y, [SAMPLES])];
}

const threads = Number(process.argv[2]);
await setNumThreads(threads);
await setBackend('wasm');
setSeed(99);
const [xs, ys] = data();
const model = sequential({ layers: [
  layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [16, 16, 2] }),
  layers.batchNormalization(),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu' }),
  layers.globalAveragePooling2d(),
  layers.dense({ units: 4, activation: 'softmax' }),
] });
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
const losses: number[] = [];
await model.fit(xs, ys, { epochs: 2, batchSize: 32, verbose: 0, callbacks: [{ onBatchEnd: (_b: number, logs?: Record<string, number>) => void losses.push(logs!.loss) }] });
const weights = model.getWeights().map((w) => Array.from(w.data as Float32Array));
process.stdout.write(JSON.stringify({ threads: getNumThreads(), losses, weights }));
process.exit(0);
