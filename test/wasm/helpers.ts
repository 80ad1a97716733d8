import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import type { Backend } from '../../src/kernels/backend.js';
import { WasmEngine, createWasmKernels } from '../../src/kernels/wasm/index.js';
import { Random } from '../../src/utils/random.js';

export const TOLERANCE = 1e-4;

/**
 * Asserts |actual - expected| <= 1e-4 * (|expected| + mean|expected|) elementwise: relative to
 * the element, or to the tensor's typical magnitude where a sum cancels to nearly zero.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let mean = 0;
  for (let i = 0; i < expected.length; i++) mean += Math.abs(expected[i]);
  mean = expected.length ? mean / expected.length : 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (a === e) continue;
    const bound = TOLERANCE * (Math.abs(e) + mean);
    if (!(Math.abs(a - e) <= bound)) {
      assert.fail(`${what}: element ${i} is ${a}, reference ${e} (difference ${Math.abs(a - e)} > ${bound})`);
    }
  }
}

export function randomArray(rng: Random, n: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.uniform(lo, hi);
  return out;
}

export function int(rng: Random, lo: number, hi: number): number {
  return lo + rng.int(hi - lo + 1);
}

export interface Flavour {
  name: string;
  kernels: Backend;
  engine: WasmEngine;
}

/**
 * The builds under test: the one the loader picks with two threads, and the portable-SIMD build
 * on private (unshared) memory, which is what a non-isolated browser page gets.
 */
export async function flavours(): Promise<Flavour[]> {
  const best = await WasmEngine.create();
  await best.setThreads(2);
  const portable = await WasmEngine.create({ relaxed: false, shared: false });
  return [
    { name: `${best.features.relaxedSimd ? 'relaxed' : 'portable'} SIMD, ${best.numThreads} threads`, kernels: createWasmKernels(best), engine: best },
    { name: 'portable SIMD, private memory, 1 thread', kernels: createWasmKernels(portable), engine: portable },
  ];
}

/**
 * Engines on 1, 2 and 3 threads plus portable SIMD on private memory, started before the calling
 * file's tests and closed after them: the variants every kernel must agree on.
 */
export function engineVariants(): { name: string; engine: WasmEngine }[] {
  const engines: { name: string; engine: WasmEngine }[] = [];
  before(async () => {
    for (const threads of [1, 2, 3]) {
      const engine = await WasmEngine.create();
      await engine.setThreads(threads);
      engines.push({ name: `${threads} thread(s)`, engine });
    }
    engines.push({ name: 'portable SIMD, private memory', engine: await WasmEngine.create({ relaxed: false, shared: false }) });
  });
  after(() => {
    for (const e of engines) e.engine.close();
  });
  return engines;
}
