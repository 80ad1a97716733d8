/**
 * Soak test (issue #8, item 1): trains the lab CNN on Fashion-MNIST for many epochs on each
 * backend and records, at the end of every epoch, the process RSS, the JS heap and the size of
 * the WebAssembly memory. Memory must be flat after the first epoch: every figure of a later
 * epoch within 5% of epoch 1's (the exit status is non-zero otherwise).
 *
 *   npm run soak                                   # 20 epochs, full 60k set, both backends
 *   npm run soak -- --epochs 20 --limit 12000      # shortened run
 *   npm run soak -- --backends wasm --threads 2 --json soak.json
 *
 * Not part of the tests: a full run takes about half an hour on two cores. Run it under the CPU
 * lock on shared machines. The heap is sampled after a forced GC (`--expose-gc`, set by the npm
 * script) so that the figure is what training retains, not where the collector happened to be.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { datasets, setBackend, setNumThreads, setSeed, zoo } from '../src/index.js';
import { WasmEngine } from '../src/kernels/wasm/index.js';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '20' },
    limit: { type: 'string' },
    'batch-size': { type: 'string', default: '32' },
    backends: { type: 'string', default: 'reference,wasm' },
    threads: { type: 'string' },
    'data-dir': { type: 'string' },
    json: { type: 'string' },
    tolerance: { type: 'string', default: '0.05' },
  },
});

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, received '${text}'`);
  return n;
}

const epochs = positiveInt('epochs', args.epochs)!;
const limit = positiveInt('limit', args.limit);
const batchSize = positiveInt('batch-size', args['batch-size'])!;
const threads = positiveInt('threads', args.threads);
const tolerance = Number(args.tolerance);
const backends = args.backends!.split(',').map((s) => s.trim()).filter(Boolean);
for (const b of backends) if (b !== 'reference' && b !== 'wasm') throw new Error(`--backends: unknown backend '${b}'; expected reference and/or wasm`);

// The engine keeps its WebAssembly.Memory private; catching the instance as it is created lets
// the soak read the memory's size without a test-only hook in the library.
let engine: WasmEngine | null = null;
const create = WasmEngine.create.bind(WasmEngine);
WasmEngine.create = async (...rest: Parameters<typeof WasmEngine.create>) => (engine = await create(...rest));

const MiB = 2 ** 20;
interface Sample {
  epoch: number;
  seconds: number;
  loss: number;
  rssMiB: number;
  heapUsedMiB: number;
  arrayBuffersMiB: number;
  wasmMemoryMiB: number;
}

function sample(epoch: number, seconds: number, loss: number): Sample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const round = (n: number) => Math.round((n / MiB) * 10) / 10;
  return {
    epoch,
    seconds: Math.round(seconds * 10) / 10,
    loss: Math.round(loss * 1e4) / 1e4,
    rssMiB: round(m.rss),
    heapUsedMiB: round(m.heapUsed),
    arrayBuffersMiB: round(m.arrayBuffers),
    wasmMemoryMiB: engine ? round(engine.memory.buffer.byteLength) : 0,
  };
}

async function loadFashionMnist() {
  const dirs = [args['data-dir'], '/usr/share/datasets/fashion-mnist', path.resolve('../shared/datasets/fashion-mnist')];
  const dir = dirs.find((d) => d !== undefined && existsSync(d));
  return datasets.fashionMnist.loadData(dir ? { dir, download: false } : {});
}

/** Worst growth of each figure over the epochs after the first, relative to epoch 1. */
function growth(samples: Sample[], key: 'rssMiB' | 'heapUsedMiB' | 'wasmMemoryMiB'): { base: number; max: number; ratio: number } {
  const base = samples[0][key];
  const max = Math.max(...samples.slice(1).map((s) => s[key]), base);
  return { base, max, ratio: base > 0 ? (max - base) / base : 0 };
}

const { train } = await loadFashionMnist();
const part = limit ? datasets.subset(train, Math.min(limit, train.count)) : train;
const x = datasets.toFloat(part.images);
const y = part.labels;
console.log(`Soak: lab-cnn on ${part.count} Fashion-MNIST images, ${epochs} epochs, batch size ${batchSize}, backends ${backends.join(', ')}; node ${process.version}, gc ${typeof (globalThis as { gc?: unknown }).gc === 'function' ? 'forced before each sample' : 'not exposed (run with --expose-gc)'}`);

const results: Record<string, { threads: number | null; samples: Sample[]; flat: boolean }> = {};
let allFlat = true;
for (const backend of backends) {
  if (!(await setBackend(backend))) throw new Error(`backend '${backend}' is not available`);
  if (backend === 'wasm' && threads) await setNumThreads(threads);
  setSeed(1);
  const model = zoo.create('lab-cnn');
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const samples: Sample[] = [];
  let last = Date.now();
  await model.fit(x, y, {
    epochs,
    batchSize,
    verbose: 0,
    callbacks: [{
      onEpochEnd: async (epoch: number, logs: Record<string, number> = {}) => {
        const now = Date.now();
        const s = sample(epoch + 1, (now - last) / 1000, logs.loss ?? NaN);
        last = now;
        samples.push(s);
        console.log(`${backend} epoch ${s.epoch}/${epochs}: ${s.seconds} s, loss ${s.loss}, RSS ${s.rssMiB} MiB, heap ${s.heapUsedMiB} MiB, array buffers ${s.arrayBuffersMiB} MiB, wasm memory ${s.wasmMemoryMiB} MiB`);
      },
    }],
  });
  const g = ['rssMiB', 'heapUsedMiB', 'wasmMemoryMiB'].map((k) => [k, growth(samples, k as 'rssMiB')] as const);
  const flat = g.every(([, v]) => v.ratio < tolerance);
  allFlat &&= flat;
  for (const [k, v] of g) console.log(`${backend} ${k}: epoch 1 ${v.base}, max later ${v.max} (${(v.ratio * 100).toFixed(2)}% growth)`);
  console.log(`${backend}: ${flat ? 'FLAT' : 'NOT FLAT'} (growth limit ${(tolerance * 100).toFixed(0)}%)`);
  results[backend] = { threads: backend === 'wasm' ? (threads ?? null) : null, samples, flat };
}

if (args.json) writeFileSync(args.json, `${JSON.stringify({ epochs, limit: limit ?? null, batchSize, node: process.version, results }, null, 2)}\n`);
// Worker threads of the wasm pool would keep the process alive.
process.exit(allFlat ? 0 : 1);
