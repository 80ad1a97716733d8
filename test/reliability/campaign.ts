/**
 * `npm run fuzz`: open-ended fuzzing of every property in test/reliability/fuzz_*.test.ts with
 * fresh random seeds, target by target, for a time budget or a case count each. Every failure
 * is written into the regression corpus (corpus/findings.json, with the input file where the
 * property recorded one), so that `npm test` replays it from then on.
 *
 *   npm run fuzz                                  # every target, 10 minutes each
 *   npm run fuzz -- --minutes 2 --targets idx,gzip
 *   npm run fuzz -- --cases 100000 --minutes 30   # stop at 100,000 cases or 30 minutes, whichever first
 *   npm run fuzz -- --jobs 2                      # two targets at a time (one per core)
 *
 * Each target runs in rounds: a child `node --test` process with FUZZ_SEED set to a new random
 * seed and FUZZ_RUNS sized from the rate of the previous round (about 30 s of work), so a hang
 * or a crash costs one round, not the campaign.
 */
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { corpusDir, type Finding } from './fuzz.js';

interface Target {
  id: string;
  file: string;
  /** The `it` name, matched exactly. */
  test: string;
  /** Inputs in the first round (later rounds are sized from the measured rate). */
  firstRound: number;
}

const here = 'test/reliability';
export const TARGETS: Target[] = [
  { id: 'idx', file: 'fuzz_datasets.test.ts', test: 'damaged IDX files parse consistently or fail naming the file', firstRound: 20000 },
  { id: 'idx-header-dims', file: 'fuzz_datasets.test.ts', test: 'header dimensions with extreme values are refused before any allocation', firstRound: 20000 },
  { id: 'gzip', file: 'fuzz_datasets.test.ts', test: 'damaged gzip data decompresses to the declared size or fails naming the file', firstRound: 10000 },
  { id: 'fashion-mnist-files', file: 'fuzz_datasets.test.ts', test: 'Fashion-MNIST fromFiles with one damaged file (gzipped or not) loads or fails naming it', firstRound: 5000 },
  { id: 'cifar-batch', file: 'fuzz_datasets.test.ts', test: 'damaged batches decode consistently or fail naming the file', firstRound: 5000 },
  { id: 'cifar-meta', file: 'fuzz_datasets.test.ts', test: 'batches.meta.txt: any bytes give 10 names or an error naming the file', firstRound: 20000 },
  { id: 'cifar-files', file: 'fuzz_datasets.test.ts', test: 'cifar10.fromFiles with one damaged batch loads or fails naming it', firstRound: 2000 },
  { id: 'cifar-archive-tar', file: 'fuzz_datasets.test.ts', test: 'damaged tar headers and contents (then gzipped) load or fail naming the archive', firstRound: 500 },
  { id: 'cifar-archive-gz', file: 'fuzz_datasets.test.ts', test: 'damaged compressed archives load or fail naming the archive', firstRound: 500 },
  { id: 'image-bytes', file: 'fuzz_images.test.ts', test: 'damaged PNG, JPEG and WebP files and random bytes: an input or a CliError', firstRound: 1500 },
  { id: 'image-huge-header', file: 'fuzz_images.test.ts', test: 'headers declaring huge images are refused before decoding', firstRound: 200 },
  { id: 'model-json', file: 'fuzz_models.test.ts', test: 'JSON-level damage to the topology and manifest: a model or a ModelFormatError', firstRound: 3000 },
  { id: 'model-weights', file: 'fuzz_models.test.ts', test: 'damaged weight data: loads only when the bytes match the manifest exactly', firstRound: 3000 },
  { id: 'model-json-text', file: 'fuzz_models.test.ts', test: 'text-level damage to model.json: a model or a ModelFormatError', firstRound: 500 },
  { id: 'model-files', file: 'fuzz_models.test.ts', test: 'damaged manifest paths, shard sizes and shard bytes: a model or a ModelFormatError', firstRound: 500 },
  { id: 'checkpoint-json', file: 'fuzz_checkpoints.test.ts', test: 'JSON-level damage to training_state.json: restored or a ModelFormatError', firstRound: 500 },
  { id: 'checkpoint-shard', file: 'fuzz_checkpoints.test.ts', test: 'damaged optimizer shard bytes: restored only when the size matches, else a ModelFormatError', firstRound: 500 },
];

/** Seconds of work a round aims at. */
const ROUND_SECONDS = 30;

interface Round {
  passed: boolean;
  cases: number;
  seconds: number;
  findings: Array<Finding & { numRuns?: number }>;
  output: string;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function runRound(t: Target, seed: number, runs: number, findingsDir: string, roundTimeoutMs: number): Promise<Round> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-name-pattern=^${escapeRegExp(t.test)}$`, join(here, t.file)], {
      env: { ...process.env, FUZZ_SEED: String(seed), FUZZ_RUNS: String(runs), FUZZ_FINDINGS_DIR: findingsDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    // A round that outlives its budget by far is a hang the property's own timeouts missed.
    const killer = setTimeout(() => child.kill('SIGKILL'), roundTimeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      const seconds = (Date.now() - started) / 1000;
      const findings = existsSync(findingsDir)
        ? readdirSync(findingsDir)
            .filter((f) => f.endsWith('.json'))
            .map((f) => JSON.parse(readFileSync(join(findingsDir, f), 'utf8')) as Finding & { numRuns?: number })
        : [];
      const passed = code === 0 && /^# pass 1$/m.test(output) && /^# fail 0$/m.test(output);
      if (!passed && findings.length === 0) {
        // Killed or crashed outside the property: keep the seed, which replays the whole round.
        const why = signal ? `the round was killed (${signal}) after ${seconds.toFixed(0)} s: a hang or a crash` : `the test process failed (exit ${code})`;
        findings.push({ target: t.id, seed, path: '', counterexample: '', error: `${why}; last output: ${output.slice(-1500)}`, status: 'open', numRuns: runs });
      }
      const cases = findings.length ? Math.min(runs, findings[0].numRuns ?? runs) : passed ? runs : 0;
      resolve({ passed, cases, seconds, findings, output });
    });
  });
}

/** Adds findings to corpus/findings.json (written to a temporary name, then renamed) and copies their inputs. */
function recordFindings(found: Array<Finding & { numRuns?: number }>, findingsDir: string): void {
  const indexPath = join(corpusDir, 'findings.json');
  const index = JSON.parse(readFileSync(indexPath, 'utf8')) as { about: string; findings: Finding[] };
  for (const { numRuns: _n, ...f } of found) {
    if (f.file) copyFileSync(join(findingsDir, f.file), join(corpusDir, f.file));
    index.findings.push(f);
  }
  const tmp = `${indexPath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(index, null, 2)}\n`);
  renameSync(tmp, indexPath);
}

interface Summary {
  id: string;
  cases: number;
  rounds: number;
  seconds: number;
  findings: number;
}

async function fuzzTarget(t: Target, minutes: number, maxCases: number, log: (line: string) => void): Promise<Summary> {
  const deadline = Date.now() + minutes * 60_000;
  const summary: Summary = { id: t.id, cases: 0, rounds: 0, seconds: 0, findings: 0 };
  let runs = t.firstRound;
  let lastRate = 0;
  while (Date.now() < deadline && summary.cases < maxCases) {
    runs = Math.max(1, Math.min(runs, maxCases - summary.cases));
    if (lastRate > 0) runs = Math.max(1, Math.min(runs, Math.round(lastRate * Math.max(5, (deadline - Date.now()) / 1000))));
    const seed = randomInt(-(2 ** 31), 2 ** 31);
    const dir = mkdtempSync(join(tmpdir(), `convlab-fuzz-${t.id}-`));
    try {
      const r = await runRound(t, seed, runs, dir, Math.max(120_000, ROUND_SECONDS * 6_000));
      summary.rounds++;
      summary.cases += r.cases;
      summary.seconds += r.seconds;
      if (r.findings.length) {
        summary.findings += r.findings.length;
        recordFindings(r.findings, dir);
        log(`  ${t.id}: FAILURE with FUZZ_SEED=${seed} (path ${r.findings[0].path || '-'}): ${r.findings[0].error.split('\n')[0].slice(0, 200)} -> recorded in corpus/findings.json`);
      }
      // Size the next round from this one's rate (minus ~1.5 s of process start-up).
      const rate = r.cases / Math.max(0.5, r.seconds - 1.5);
      if (r.cases > 0) {
        lastRate = rate;
        runs = Math.max(10, Math.round(rate * ROUND_SECONDS));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  log(`  ${t.id}: ${summary.cases.toLocaleString('en-US')} cases in ${summary.rounds} rounds, ${(summary.seconds / 60).toFixed(1)} min, ${summary.findings} finding(s)`);
  return summary;
}

function positive(what: string) {
  return (v: string) => {
    const n = Number(v);
    if (!(n > 0)) throw new InvalidArgumentError(`${what} must be a positive number, received '${v}'`);
    return n;
  };
}

async function main(): Promise<void> {
  const program = new Command('npm run fuzz --')
    .description('Open-ended fuzzing of the parsers, with new seeds; failures go into test/reliability/corpus/findings.json')
    .option('--minutes <m>', 'time budget per target', positive('--minutes'), 10)
    .option('--cases <n>', 'stop a target after this many cases', positive('--cases'), Infinity)
    .option('--targets <ids>', `comma-separated targets (default: all): ${TARGETS.map((t) => t.id).join(', ')}`)
    .option('--jobs <n>', 'targets fuzzed at the same time', positive('--jobs'), 1)
    .parse();
  const opts = program.opts<{ minutes: number; cases: number; targets?: string; jobs: number }>();
  let targets = TARGETS;
  if (opts.targets) {
    const wanted = opts.targets.split(',').map((s) => s.trim());
    const unknown = wanted.filter((w) => !TARGETS.some((t) => t.id === w));
    if (unknown.length) program.error(`unknown target(s) ${unknown.join(', ')}; expected some of: ${TARGETS.map((t) => t.id).join(', ')}`);
    targets = TARGETS.filter((t) => wanted.includes(t.id));
  }
  const log = (line: string) => console.log(line);
  log(`fuzzing ${targets.length} target(s), ${opts.minutes} min${Number.isFinite(opts.cases) ? ` or ${opts.cases.toLocaleString('en-US')} cases` : ''} each, ${opts.jobs} at a time`);
  const queue = [...targets];
  const results: Summary[] = [];
  await Promise.all(
    Array.from({ length: Math.min(opts.jobs, queue.length) }, async () => {
      for (let t = queue.shift(); t; t = queue.shift()) results.push(await fuzzTarget(t, opts.minutes, opts.cases, log));
    }),
  );
  results.sort((a, b) => TARGETS.findIndex((t) => t.id === a.id) - TARGETS.findIndex((t) => t.id === b.id));
  log('\n| target | cases | minutes | findings |\n|---|---:|---:|---:|');
  for (const r of results) log(`| ${r.id} | ${r.cases.toLocaleString('en-US')} | ${(r.seconds / 60).toFixed(1)} | ${r.findings} |`);
  const total = results.reduce((a, r) => a + r.findings, 0);
  if (total > 0) {
    log(`\n${total} finding(s) recorded in test/reliability/corpus/findings.json; npm test now replays them (and fails until they are fixed).`);
    process.exitCode = 1;
  }
}

await main();
