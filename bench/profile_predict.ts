// Where a predict batch of the lab CNN or LeNet-5 goes, per kernel (docs/performance.md): batch 128,
// wasm, THREADS threads (1), STEPS batches (40), MODEL lab | lenet; unqueued kernels give
// per-kernel times:
//   CONVLAB_WASM_QUEUE=0 MODEL=lenet node --import tsx bench/profile_predict.ts
import { setBackend, tensor } from '../src/index.js';
import { setNumThreads } from '../src/kernels/wasm/index.js';
import { setSeed } from '../src/utils/random.js';
import { buildModel } from '../bench/convlab_models.js';
import { timeKernels } from './kernel_times.js';
const threads = Number(process.env.THREADS ?? 1);
await setNumThreads(threads);
await setBackend('wasm');
setSeed(1);
const model = buildModel((process.env.MODEL ?? 'lab') as 'lab');
const n = 128 * Number(process.env.STEPS ?? 40);
const x = new Float32Array(n * 784);
for (let i = 0; i < x.length; i++) x[i] = (i * 7919 % 255) / 255;
const xs = tensor(x, [n, 28, 28, 1]);
model.predict(xs, { batchSize: 128 });
const timer = timeKernels();
const times = timer.times;
for (let rep = 0; rep < 3; rep++) {
  const t0 = performance.now();
  model.predict(xs, { batchSize: 128 });
  console.log(`plain ${(n / ((performance.now() - t0) / 1000)).toFixed(0)} samples/s`);
}
timer.on = true;
const t = performance.now();
model.predict(xs, { batchSize: 128 });
const total = performance.now() - t;
const steps = n / 128;
const kernelMs = [...times.values()].reduce((a, b) => a + b.ms, 0);
console.log(`total ${(total / steps).toFixed(3)} ms/batch; in kernels ${(100 * kernelMs / total).toFixed(1)}%`);
for (const [key, v] of [...times.entries()].sort((a, b) => b[1].ms - a[1].ms)) console.log(`${(100 * v.ms / total).toFixed(1).padStart(5)}%  ${(v.ms / steps).toFixed(3).padStart(7)} ms/batch ${String(v.calls / steps).padStart(4)} calls  ${key}`);
