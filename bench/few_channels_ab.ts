// The few-channel direct kernels (assembly/direct_few.ts, few_filter_grad.ts) against im2col + GEMM
// on one thread, alternating A and B, medians of 30 pairs; times include the copies in and out
// of wasm memory (docs/performance.md):
//   flock /tmp/convlab-cpu.lock node --import tsx bench/few_channels_ab.ts
import { WasmEngine, createWasmKernels } from '../src/kernels/wasm/index.js';
import { conv2dInfo } from '../src/ops/conv_util.js';

const engine = await WasmEngine.create();
const k = createWasmKernels(engine);
const cases: [string, number[], number[], 'same' | 'valid', 'forward' | 'filter gradient'][] = [
  ['LeNet conv2 14x14x6 -> 16, batch 128', [128, 14, 14, 6], [5, 5, 6, 16], 'valid', 'forward'],
  ['cifar first conv 32x32x3 -> 32, batch 64', [64, 32, 32, 3], [3, 3, 3, 32], 'same', 'forward'],
  ['cifar first conv 32x32x3 -> 32, batch 64', [64, 32, 32, 3], [3, 3, 3, 32], 'same', 'filter gradient'],
];
const median = (a: number[]): number => [...a].sort((u, v) => u - v)[a.length >> 1];
for (const [name, xs, fs, padding, kind] of cases) {
  const c = conv2dInfo(xs, fs, [1, 1], padding, [1, 1]);
  const x = new Float32Array(xs.reduce((a, b) => a * b)).map((_, i) => Math.sin(i));
  const f = new Float32Array(fs.reduce((a, b) => a * b)).map((_, i) => Math.cos(i));
  const y = new Float32Array(c.batch * c.outHeight * c.outWidth * c.outChannels).map((_, i) => Math.sin(0.7 * i));
  const run = (): void => (kind === 'forward' ? k.conv2d(x, f, y, c) : k.conv2dBackpropFilter(x, y, f, c));
  const times = { direct: [] as number[], im2col: [] as number[] };
  for (let r = 0; r < 30; r++) {
    for (const mode of ['direct', 'im2col'] as const) {
      engine.exports.setFewChannels(mode === 'direct' ? 1 : 0);
      const t0 = performance.now();
      run();
      run();
      times[mode].push((performance.now() - t0) / 2);
    }
  }
  const [a, b] = [median(times.direct), median(times.im2col)];
  console.log(`${name}, ${kind}: direct ${a.toFixed(3)} ms, im2col + GEMM ${b.toFixed(3)} ms (${(b / a).toFixed(2)}x)`);
}
engine.close();
