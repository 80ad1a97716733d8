/**
 * `npm run bench`: trains the lab CNN and LeNet-5, runs inference, GEMM and the models' conv
 * shapes on every system in one run, on the same data, and writes docs/benchmarks.md and
 * docs/benchmarks.json. Run it on a quiet machine, under the CPU lock:
 *
 *   bash bench/setup.sh     # once: PyTorch (Debian's python3-torch) with OpenBLAS, checked
 *   flock /tmp/convlab-cpu.lock npm run bench [-- [--quick] [--systems wasm1,wasmN,tfjs-wasm] [--repeats 9] [--only TEXT]]
 *
 * --only TEXT runs only the rows whose name contains TEXT (a smoke test of one row); like --quick,
 * it writes its report to a temporary folder unless --out names one.
 *
 * Each system runs in its own process (bench/run_convlab.ts, bench/run_tfjs.ts,
 * bench/run_torch.py) so that no runtime's warm state or threads affect another's figures.
 * --quick does short repeats for a CI smoke test and writes its report to a temporary folder.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkoutCommit, median, type RunnerResult } from './common.js';
import { renderReport, type Report } from './report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');
const repeatsIndex = process.argv.indexOf('--repeats');
const repeats = repeatsIndex >= 0 ? Number(process.argv[repeatsIndex + 1]) : quick ? 2 : 5;
if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer, received ${process.argv[repeatsIndex + 1]}`);
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex >= 0 ? ['--only', process.argv[onlyIndex + 1]] : [];
const outIndex = process.argv.indexOf('--out');
const outDir = outIndex >= 0 ? path.resolve(process.argv[outIndex + 1]) : quick || onlyIndex >= 0 ? mkdtempSync(path.join(os.tmpdir(), 'convlab-bench-')) : path.join(root, 'docs');
const systemsIndex = process.argv.indexOf('--systems');

const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;

interface SystemSpec {
  id: string;
  command: string;
  args: string[];
}

const tsx = ['--import', 'tsx'];
const SYSTEMS: SystemSpec[] = [
  { id: 'reference', command: process.execPath, args: [...tsx, 'bench/run_convlab.ts', '--system', 'reference'] },
  { id: 'wasm1', command: process.execPath, args: [...tsx, 'bench/run_convlab.ts', '--system', 'wasm', '--threads', '1'] },
  { id: 'wasmN', command: process.execPath, args: [...tsx, 'bench/run_convlab.ts', '--system', 'wasm', '--threads', String(cores)] },
  { id: 'tfjs-cpu', command: process.execPath, args: [...tsx, 'bench/run_tfjs.ts', '--system', 'cpu'] },
  { id: 'tfjs-wasm', command: process.execPath, args: [...tsx, 'bench/run_tfjs.ts', '--system', 'wasm'] },
  { id: 'torch', command: '/usr/bin/python3', args: ['bench/run_torch.py'] },
];

/**
 * The environment of a runner. OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE may be set on this kind of
 * machine (older OpenBLAS builds crash on its processors without them); they pin OpenBLAS to a
 * slower kernel, so PyTorch runs without both (the runner reports which kernel OpenBLAS picked).
 */
function runnerEnv(id: string): NodeJS.ProcessEnv {
  if (id !== 'torch') return process.env;
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function torchAvailable(): string | null {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', env: runnerEnv('torch') });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** Synthetic 28x28 images and labels, written once and read by every runner. */
function writeData(file: string, count: number): void {
  const buffer = new ArrayBuffer(4 + count * 784 * 4 + count * 4);
  new Int32Array(buffer, 0, 1)[0] = count;
  const x = new Float32Array(buffer, 4, count * 784);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 8) / 16777216;
  }
  const y = new Int32Array(buffer, 4 + count * 784 * 4, count);
  for (let i = 0; i < count; i++) y[i] = (i * 7) % 10;
  writeFileSync(file, new Uint8Array(buffer));
}

const wanted = systemsIndex >= 0 ? process.argv[systemsIndex + 1].split(',') : SYSTEMS.map((s) => s.id).filter((id) => !(quick && id === 'tfjs-cpu'));
const notes: string[] = [];
if (quick && systemsIndex < 0) notes.push('quick mode: tfjs cpu skipped (seconds per step); 2 short repeats per figure');
const torchVersion = torchAvailable();
if (!torchVersion && wanted.includes('torch')) notes.push('PyTorch skipped: /usr/bin/python3 cannot import torch (run `bash bench/setup.sh` to install Debian\'s python3-torch with OpenBLAS)');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'convlab-bench-data-'));
const dataFile = path.join(tmp, 'data.bin');
writeData(dataFile, quick ? 2048 : 8192);
const results: RunnerResult[] = [];
const started = new Date();
const load = os.loadavg()[0];
try {
  for (const spec of SYSTEMS) {
    if (!wanted.includes(spec.id) || (spec.id === 'torch' && !torchVersion)) continue;
    process.stderr.write(`bench: ${spec.id} ...\n`);
    const t = performance.now();
    const r = spawnSync(spec.command, [...spec.args, '--data', dataFile, '--repeats', String(repeats), ...(quick ? ['--quick'] : []), ...only], { cwd: root, env: runnerEnv(spec.id), encoding: 'utf8', maxBuffer: 64 << 20, timeout: 30 * 60_000 });
    const line = r.stdout?.split('\n').find((l) => l.startsWith('RESULT '));
    if (r.status !== 0 || !line) {
      notes.push(`${spec.id} failed (exit ${r.status}): ${(r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' / ')}`);
      continue;
    }
    const result = JSON.parse(line.slice(7)) as RunnerResult;
    results.push(result);
    process.stderr.write(`bench: ${spec.id} done in ${((performance.now() - t) / 1000).toFixed(0)} s\n`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const options = [
  ...(quick ? ['--quick'] : []),
  ...(systemsIndex >= 0 ? ['--systems', wanted.join(',')] : []),
  ...(repeatsIndex >= 0 ? ['--repeats', String(repeats)] : []),
  ...only,
];
const report: Report = {
  date: started.toISOString(),
  commit: checkoutCommit(root),
  command: `npm run bench${options.length ? ` -- ${options.join(' ')}` : ''}`,
  repeats,
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: Number(load.toFixed(2)),
  },
  quick,
  results: results.map((r) => ({ ...r, measurements: r.measurements.map((m) => ({ ...m, median: median(m.values), min: Math.min(...m.values), max: Math.max(...m.values) })) })),
  notes: [...notes, ...results.flatMap((r) => r.notes)],
};

mkdirSync(outDir, { recursive: true });
const { markdown, table } = renderReport(report);
for (const [name, text] of [['benchmarks.json', JSON.stringify(report, null, 2) + '\n'], ['benchmarks.md', markdown]] as const) {
  const target = path.join(outDir, name);
  writeFileSync(`${target}.tmp`, text);
  renameSync(`${target}.tmp`, target);
}
process.stdout.write(`${table}\n\nwrote ${path.join(outDir, 'benchmarks.md')} and benchmarks.json\n`);
