/*
 * Shared by the benchmark runners: the workload definitions, the data file format, and the
 * timing discipline (warm up, size each repeat to a target duration, report every repeat).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type ModelName = 'lab' | 'lenet';

export interface Workload {
  quick: boolean;
  dataFile: string;
  samples: number;
}

/** One measurement: a value per repeat (samples/s or GFLOP/s). */
export interface Measurement {
  key: string;
  unit: 'samples/s' | 'images/s' | 'GFLOP/s' | 'x';
  values: number[];
  note?: string;
}

export interface RunnerResult {
  system: string;
  version: string;
  measurements: Measurement[];
  notes: string[];
}

/** Training and inference workloads, in the order of the report. */
export const TRAIN_CASES: { model: ModelName; batch: number }[] = [
  { model: 'lab', batch: 32 },
  { model: 'lab', batch: 128 },
  { model: 'lenet', batch: 32 },
  { model: 'lenet', batch: 128 },
];

export const INFER_BATCH = 128;

/**
 * The real-size models (issue #17): the recipes' networks (src/zoo/recipes.ts) and the Keras
 * example CIFAR-10 CNN (src/zoo/cifar.ts), trained with Adam at their recipes' batch sizes on
 * the synthetic pixels cut into 32x32x3 (or 28x28x1) images. Every runner builds the same
 * network and checks its parameter count (as Keras's summary counts it) against `params`.
 */
export type BigModel = 'cifar-vgg' | 'cifar-vgg-noaug' | 'fashion-vgg' | 'cifar-cnn';

export const BIG_MODELS: Record<BigModel, { label: string; imageShape: [number, number, number]; params: number }> = {
  'cifar-vgg': { label: 'cifar-vgg with augmentation', imageShape: [32, 32, 3], params: 392_426 },
  'cifar-vgg-noaug': { label: 'cifar-vgg without augmentation', imageShape: [32, 32, 3], params: 392_426 },
  'fashion-vgg': { label: 'fashion-vgg (flips)', imageShape: [28, 28, 1], params: 391_850 },
  'cifar-cnn': { label: 'cifar-cnn', imageShape: [32, 32, 3], params: 1_250_858 },
};

export const BIG_TRAIN_CASES: { model: BigModel; batch: number }[] = [
  { model: 'cifar-vgg-noaug', batch: 64 },
  { model: 'cifar-vgg', batch: 64 },
  { model: 'fashion-vgg', batch: 128 },
  { model: 'cifar-cnn', batch: 64 },
];

/** Inference rows (augmentation is the identity at inference, so cifar-vgg has one). */
export const BIG_INFER_CASES: BigModel[] = ['cifar-vgg', 'fashion-vgg', 'cifar-cnn'];

export const bigTrainKey = (model: BigModel, batch: number): string => `train ${BIG_MODELS[model].label} batch ${batch}`;
export const bigInferKey = (model: BigModel): string => `predict ${model} batch ${INFER_BATCH}`;

/** How many whole images of `shape` the data file's pixels hold (the images are cut from them). */
export const imagesIn = (pixels: number, shape: readonly number[]): number => Math.floor(pixels / (shape[0] * shape[1] * shape[2]));

/**
 * `--only TEXT`: run only the rows whose key contains TEXT (a smoke test of one row); every row
 * when absent.
 */
export function rowWanted(key: string): boolean {
  const i = process.argv.indexOf('--only');
  return i < 0 || key.includes(process.argv[i + 1]);
}

/** Forward-conv shapes of both models at batch 32: [x NHWC, filter HWIO, padding]. */
export const CONV_CASES: { key: string; x: number[]; w: number[]; padding: 'same' | 'valid' }[] = [
  { key: 'conv lab 28x28x1 -> 5 (3x3 same), batch 32', x: [32, 28, 28, 1], w: [3, 3, 1, 5], padding: 'same' },
  { key: 'conv LeNet-1 28x28x1 -> 6 (5x5 same), batch 32', x: [32, 28, 28, 1], w: [5, 5, 1, 6], padding: 'same' },
  { key: 'conv LeNet-2 14x14x6 -> 16 (5x5 valid), batch 32', x: [32, 14, 14, 6], w: [5, 5, 6, 16], padding: 'valid' },
];

export function convFlops(x: number[], w: number[], padding: 'same' | 'valid'): number {
  const oh = padding === 'same' ? x[1] : x[1] - w[0] + 1;
  const ow = padding === 'same' ? x[2] : x[2] - w[1] + 1;
  return 2 * x[0] * oh * ow * w[0] * w[1] * w[2] * w[3];
}

export const GEMM_N = 1024;

/** The data file: int32 count, then count*784 float32 pixels, then count int32 labels. */
export function readData(file: string): { x: Float32Array; y: Int32Array; count: number } {
  const bytes = readFileSync(file);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const count = new Int32Array(buffer, 0, 1)[0];
  const x = new Float32Array(buffer, 4, count * 784);
  const y = new Int32Array(buffer, 4 + count * 784 * 4, count);
  return { x, y, count };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The steady part of a timed run: fit's batches after its first, without fit's own setup. */
export interface SteadyTiming {
  ms: number;
  units: number;
}

/**
 * Clock for `fit`: an onBatchEnd hook stamps each batch, and `timing()` reports the span from
 * the first batch's end to the last's. Frameworks differ a lot in what one `fit` call costs
 * before its first batch (TF.js builds its callbacks and validation plumbing each time), and that
 * fixed cost says nothing about training speed; a repeat of a few dozen steps would include it.
 */
export function batchClock(): { onBatchEnd: () => void; timing: () => SteadyTiming | undefined } {
  const stamps: number[] = [];
  return {
    onBatchEnd: () => {
      stamps.push(performance.now());
    },
    timing: () => (stamps.length >= 2 ? { ms: stamps[stamps.length - 1] - stamps[0], units: stamps.length - 1 } : undefined),
  };
}

function isSteady(v: unknown): v is SteadyTiming {
  return typeof v === 'object' && v !== null && typeof (v as SteadyTiming).ms === 'number' && typeof (v as SteadyTiming).units === 'number';
}

/**
 * Untimed work before a row's repeats (every system gets the same; bench/run_torch.py too).
 * V8 optimizes a function only after it has run a while, and the functions a training step
 * calls once or a few times take thousands of steps to get there: convlab's lab CNN on two threads
 * ran its first 150-step fits at 2.1 ms a step and reached 0.95 ms only after about 2,500 steps
 * (node --trace-opt showed functions still being optimized until then). A bench that timed that
 * stretch would measure V8's warm-up, which a user's first epoch pays once, not training speed.
 */
export const WARMUP_MS = 2000;

/**
 * Times `run(units)` (which does `units` steps of `perUnit` samples or flops): a probe to size
 * each repeat near `targetMs`, WARMUP_MS of untimed repeats, then `repeats` timed repeats.
 * Returns rates. A run that returns a SteadyTiming is rated on that part alone (see batchClock).
 */
export async function timeRepeats(run: (units: number) => unknown, perUnit: number, opts: { quick: boolean; maxUnits: number; minUnits?: number; scale?: number }): Promise<number[]> {
  const targetMs = opts.quick ? 250 : 1500;
  const repeats = repeatsArg() ?? (opts.quick ? 2 : 5);
  const minUnits = opts.minUnits ?? 1;
  await run(minUnits);
  let t = performance.now();
  const probeResult = await run(minUnits);
  const probeWall = performance.now() - t;
  const probe = Math.max(isSteady(probeResult) ? probeResult.ms / probeResult.units : probeWall / minUnits, 0.01);
  const units = Math.max(minUnits, Math.min(opts.maxUnits, Math.round(targetMs / probe)));
  const warmUntil = performance.now() + (opts.quick ? 0 : WARMUP_MS);
  while (performance.now() < warmUntil) await run(units);
  const rates: number[] = [];
  for (let r = 0; r < repeats; r++) {
    t = performance.now();
    const result = await run(units);
    const wall = performance.now() - t;
    const { ms, units: timed } = isSteady(result) ? result : { ms: wall, units };
    rates.push((timed * perUnit) / (ms / 1000) / (opts.scale ?? 1));
  }
  return rates;
}

/** `--repeats N` as bench/index.ts passes it to every runner. */
function repeatsArg(): number | undefined {
  const i = process.argv.indexOf('--repeats');
  return i >= 0 ? Number(process.argv[i + 1]) : undefined;
}

export function parseArgs(): { quick: boolean; dataFile: string; system: string; threads: number; repeats: number } {
  const get = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  return {
    quick: process.argv.includes('--quick'),
    dataFile: get('--data') ?? '',
    system: get('--system') ?? '',
    threads: Number(get('--threads') ?? 1),
    repeats: repeatsArg() ?? (process.argv.includes('--quick') ? 2 : 5),
  };
}

/**
 * The commit of the checkout at `root`, with " + changes" when the code (src, assembly, bench,
 * cli, package.json) differs from it, so a figure can be traced to its code; none outside git.
 */
export function checkoutCommit(root: string): string | undefined {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' });
  if (head.status !== 0) return undefined;
  const dirty = spawnSync('git', ['diff', '--quiet', 'HEAD', '--', 'src', 'assembly', 'bench', 'cli', 'package.json'], { cwd: root }).status !== 0;
  return `${head.stdout.trim()}${dirty ? ' + changes' : ''}`;
}

/** `count` pixels in [0, 1) from a fixed linear congruential sequence (the profiling and A/B scripts' inputs). */
export function syntheticPixels(count: number): Float32Array {
  const x = new Float32Array(count);
  let s = 12345;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 8) / 16777216;
  }
  return x;
}

/** Labels 0-9 for `n` samples, in a fixed order. */
export function syntheticLabels(n: number): Int32Array {
  return new Int32Array(n).map((_, i) => (i * 7) % 10);
}
