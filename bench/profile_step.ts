// Where a cifar-vgg training step goes, per kernel call site (docs/performance.md): batch 64, wasm, one
// thread, unqueued kernels, WINO=4|2|0 picks the convolution path, FUSE=0 runs BatchNormalization and
// ReLU as two layers, THREADS=2 runs on two threads (WINO is then 4; SHARE=0 transforms F(4x4) filters
// in every share), FEW=0 runs the first convolution as im2col + GEMM, STEPS steps, MODEL a bench model:
//   CONVLAB_WASM_QUEUE=0 WINO=4 STEPS=6 node --import tsx bench/profile_step.ts
import { setBackend, tensor } from '../src/index.js';
import { setNumThreads, testing } from '../src/kernels/wasm/index.js';
import { setSeed } from '../src/utils/random.js';
import { reluFusion } from '../src/layers/fused_relu.js';
import { buildBigModel } from './convlab_models.js';
import { syntheticLabels, syntheticPixels } from './common.js';
import { timeKernels } from './kernel_times.js';

const steps = Number(process.env.STEPS ?? 8);
const threads = Number(process.env.THREADS ?? 1);
await setNumThreads(threads);
await setBackend('wasm');
setSeed(1);
const model = buildBigModel((process.env.MODEL ?? 'cifar-vgg-noaug') as 'cifar-vgg-noaug');
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
if (threads === 1) testing.setWinograd(Number(process.env.WINO ?? 4) as 0 | 2 | 4);
if (threads === 1) testing.setFewChannels(process.env.FEW !== '0');
await testing.setShareWinogradFilter(process.env.SHARE !== '0');
reluFusion.enabled = process.env.FUSE !== '0';
const batch = 64;
const n = batch * steps;
const x = syntheticPixels(n * 3072);
const y = syntheticLabels(n);
await model.fit(tensor(x.subarray(0, batch * 3072), [batch, 32, 32, 3]), tensor(y.subarray(0, batch), [batch]), { epochs: 1, batchSize: batch, verbose: 0 });

const timer = timeKernels();
const times = timer.times;
const xs = tensor(x, [n, 32, 32, 3]);
const ys = tensor(y, [n]);
timer.on = true;
const t = performance.now();
await model.fit(xs, ys, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
const total = performance.now() - t;
timer.on = false;
const kernelMs = [...times.values()].reduce((a, b) => a + b.ms, 0);
console.log(`total ${(total / steps).toFixed(1)} ms/step; in kernels ${(100 * kernelMs / total).toFixed(1)}%`);
const group = (re: RegExp) => [...times.entries()].filter(([key]) => re.test(key)).reduce((a, [, v]) => a + v.ms, 0);
const conv = group(/^conv2d/);
const other = kernelMs - conv;
console.log(`conv kernels ${(conv / steps).toFixed(1)} ms/step, other kernels ${(other / steps).toFixed(1)} ms/step, conv/other ${(conv / other).toFixed(2)}`);
for (const [key, v] of [...times.entries()].sort((a, b) => b[1].ms - a[1].ms)) {
  console.log(`${(100 * v.ms / total).toFixed(1).padStart(5)}%  ${(v.ms / steps).toFixed(2).padStart(7)} ms/step  ${String(v.calls / steps).padStart(4)} calls/step  ${key}`);
}
