// N forward calls of the first cifar-vgg convolution (64x32x32x3 -> 32, 3x3 'same') on one thread,
// for instruction counts (docs/performance.md): the difference of N=3 and N=1 over 2 is one call.
//   FEW=1|0 N=3 valgrind --tool=callgrind node --single-threaded --no-liftoff --import tsx bench/conv_call.ts
// FEW=0 runs im2col + GEMM instead of assembly/direct_few.ts.
import { createWasmKernels, WasmEngine } from '../src/kernels/wasm/index.js';

async function main(): Promise<void> {
  const e = await WasmEngine.create();
  e.exports.setFewChannels(process.env.FEW === '0' ? 0 : 1);
  const k = createWasmKernels(e);
  const info = {
    batch: 64, inHeight: 32, inWidth: 32, inChannels: 3, outHeight: 32, outWidth: 32, outChannels: 32,
    kernelHeight: 3, kernelWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 1, padLeft: 1,
  };
  const x = new Float32Array(64 * 1024 * 3).map((_, i) => Math.sin(i));
  const w = new Float32Array(27 * 32).map((_, i) => Math.cos(i));
  const out = new Float32Array(64 * 1024 * 32);
  const n = Number(process.env.N ?? 1);
  for (let i = 0; i < n; i++) k.conv2d(x, w, out, info);
  console.log(`${n} call(s), out[12345] = ${out[12345]}`);
}

void main();
