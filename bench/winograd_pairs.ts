// F(4x4, 3x3) calls of the cifar-vgg stages (batch 64) on two threads, two settings alternating in
// pairs within one process (docs/performance.md):
//   WHAT=filtergrad node --import tsx bench/winograd_pairs.ts   one share per thread / two (filter gradient)
//   WHAT=forward node --import tsx bench/winograd_pairs.ts      a shared filter transform / one per share
import { createWasmKernels, WasmEngine } from '../src/kernels/wasm/index.js';

async function main(): Promise<void> {
  const e = await WasmEngine.create();
  await e.setThreads(2);
  e.queueKernels = false;
  const k = createWasmKernels(e);
  const filterGrad = process.env.WHAT !== 'forward';
  for (const [s, ci, co] of [[4, 128, 256], [8, 64, 128], [16, 32, 64]]) {
    const info = {
      batch: 64, inHeight: s, inWidth: s, inChannels: ci, outHeight: s, outWidth: s, outChannels: co,
      kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 1, padLeft: 1,
    };
    const x = new Float32Array(64 * s * s * ci).map((_, i) => Math.sin(i));
    const dy = new Float32Array(64 * s * s * co).map((_, i) => Math.cos(i));
    const w = new Float32Array(9 * ci * co).map((_, i) => Math.cos(i));
    /** Time per call with the new setting (true) or the old one (false). */
    const time = (current: boolean): number => {
      if (filterGrad) e.winogradFilterGradShares = current ? 1 : 2;
      else e.shareWinogradFilter = current;
      const t = performance.now();
      for (let i = 0; i < 10; i++) {
        if (filterGrad) k.conv2dBackpropFilter(x, dy, w, info);
        else k.conv2d(x, w, dy, info);
      }
      return (performance.now() - t) / 10;
    };
    for (let i = 0; i < 3; i++) { time(true); time(false); }
    const ratios: number[] = [];
    for (let p = 0; p < 7; p++) {
      const first = p % 2 === 0;
      const a = time(first);
      const b = time(!first);
      const [now, before] = first ? [a, b] : [b, a];
      ratios.push(before / now);
    }
    const sorted = [...ratios].sort((u, v) => u - v);
    console.log(`${s}x${s}x${ci}->${co} ${filterGrad ? 'filter gradient' : 'forward'}: old / new time, median ${sorted[3].toFixed(2)} (${ratios.map((r) => r.toFixed(2)).join(', ')})`);
  }
  e.close();
  process.exit(0);
}

void main();
