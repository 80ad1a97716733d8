// Data-parallel lanes against per-kernel shares (docs/performance.md, "Small batches on both cores"):
// a small model's fit on a 2-thread pool in alternating pairs, lanes then shares or the reverse, with
// one-thread runs for the scaling ratios; prints the median of lanes/shares and both 2T/1T ratios.
//   MODEL=lenet|lab BATCH=32 STEPS=80 PAIRS=15 node --import tsx bench/lanes_ab.ts
import { setBackend, tensor } from '../src/index.js';
import { setNumThreads, testing } from '../src/kernels/wasm/index.js';
import { setSeed } from '../src/utils/random.js';
import { buildModel } from './convlab_models.js';
import { median, syntheticLabels, syntheticPixels } from './common.js';
const steps = Number(process.env.STEPS ?? 80);
const batch = Number(process.env.BATCH ?? 32);
await setNumThreads(2);
await setBackend('wasm');
setSeed(1);
const model = buildModel((process.env.MODEL ?? 'lenet') as 'lenet');
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
const n = batch * steps;
const xs = tensor(syntheticPixels(n * 784), [n, 28, 28, 1]);
const ys = tensor(syntheticLabels(n), [n]);
const rate = async (t: number, lanes: boolean) => {
  await testing.limitThreads(t);
  await testing.setDataParallel(lanes);
  const t0 = performance.now();
  await model.fit(xs, ys, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
  return n / (performance.now() - t0) * 1000;
};
for (let w = 0; w < 3; w++) { await rate(1, false); await rate(2, true); await rate(2, false); }
const ab: number[] = [], l1: number[] = [], s1: number[] = [];
for (let p = 0; p < Number(process.env.PAIRS ?? 15); p++) {
  const one = await rate(1, false);
  // Alternate which goes first, so that a steady drift favours neither.
  let lanes: number;
  let shares: number;
  if (p % 2 === 0) {
    lanes = await rate(2, true);
    shares = await rate(2, false);
  } else {
    shares = await rate(2, false);
    lanes = await rate(2, true);
  }
  ab.push(lanes / shares);
  l1.push(lanes / one);
  s1.push(shares / one);
}
console.log(`${process.env.MODEL ?? 'lenet'} b${batch}: lanes/shares ${median(ab).toFixed(3)} [${ab.map((v) => v.toFixed(2)).join(' ')}]; 2T/1T lanes ${median(l1).toFixed(2)}, shares ${median(s1).toFixed(2)}`);
