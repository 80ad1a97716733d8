// Training steps of cifar-vgg without augmentation (batch 64, Adam) with the BN + ReLU (+ pool)
// fusion on and off in alternating pairs within one process, for a ratio less sensitive to a
// shared machine's load than two separate runs (docs/performance.md):
//   THREADS=1|2 PAIRS=7 STEPS=3 node --import tsx bench/fusion_pairs.ts
import { setBackend, tensor } from '../src/index.js';
import { reluFusion } from '../src/layers/fused_relu.js';
import { setNumThreads } from '../src/kernels/wasm/index.js';
import { setSeed } from '../src/utils/random.js';
import { buildBigModel } from './convlab_models.js';
import { syntheticLabels, syntheticPixels } from './common.js';

async function main(): Promise<void> {
  const threads = Number(process.env.THREADS ?? 2);
  const pairs = Number(process.env.PAIRS ?? 7);
  const steps = Number(process.env.STEPS ?? 3);
  await setNumThreads(threads);
  await setBackend('wasm');
  setSeed(1);
  const model = buildBigModel('cifar-vgg-noaug');
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
  const batch = 64;
  const n = batch * steps;
  const xs = tensor(syntheticPixels(n * 3072), [n, 32, 32, 3]);
  const ys = tensor(syntheticLabels(n), [n]);
  const run = async (fused: boolean): Promise<number> => {
    reluFusion.enabled = fused;
    const t = performance.now();
    await model.fit(xs, ys, { epochs: 1, batchSize: batch, shuffle: false, verbose: 0 });
    return (performance.now() - t) / steps;
  };
  // Warm-up: until V8 has tiered up the kernels of both paths (Liftoff code is several times slower).
  for (let w = 0; w < Number(process.env.WARMUP ?? 4); w++) {
    await run(true);
    await run(false);
  }
  const ratios: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const first = p % 2 === 0;
    const a = await run(first);
    const b = await run(!first);
    const [fused, plain] = first ? [a, b] : [b, a];
    ratios.push(plain / fused);
    console.log(`pair ${p + 1}: fused ${fused.toFixed(1)} ms/step, separate ${plain.toFixed(1)} ms/step, separate / fused ${(plain / fused).toFixed(2)}`);
  }
  const sorted = [...ratios].sort((u, v) => u - v);
  console.log(`${threads} thread(s): median separate / fused ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  process.exit(0);
}

void main();
