/**
 * The accuracy results of the training recipes (issue #7), measured and written up by one script,
 * so that no figure in docs/results.md is typed by hand:
 *
 *   npm run results -- --recipes lenet5 --seeds 1,2,3     trains, then writes docs/results.md
 *   npm run results -- --report-only                      rewrites docs/results.md from the runs
 *   (--runs DIR and --docs DIR: other places for the run directories and the report)
 *
 * Each run is `convlab train <recipe> --seed S --out runs/results/<recipe>/seed-S` with the
 * recipe's own defaults (see `convlab models`); extra CLI flags go after `--train-args`. Runs
 * whose directory already holds evaluation.json are reused unless --fresh. Long: take the CPU
 * lock (flock /tmp/convlab-cpu.lock) and nothing else timed at the same time.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '../src/plots/index.js';
import { checkoutCommit } from './common.js';
import { zoo } from '../src/zoo/index.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
// --runs and --docs move the run directories and the report elsewhere (the tests use them).
const runsRoot = path.resolve(option('--runs') ?? path.join(root, 'runs', 'results'));
const docs = path.resolve(option('--docs') ?? path.join(root, 'docs'));

interface Run {
  recipe: string;
  seed: number;
  dir: string;
  meta: { dataset: string; training: Record<string, unknown> & { seconds: number; epochs: number; backend: string; threads?: number }; test: { accuracy: number; samples: number } };
  evaluation: { accuracy: number; samples: number; flipAverage?: boolean; withoutFlipAverage?: { accuracy: number }; validation?: { accuracy: number; samples: number } | null };
  params: number;
  /** The commit the run was trained at (provenance.json; runs from before it was written lack it). */
  commit?: string;
}

async function trainRun(recipe: string, seed: number, extra: string[]): Promise<void> {
  const dir = path.join(runsRoot, recipe, `seed-${seed}`);
  if (!process.argv.includes('--fresh') && existsSync(path.join(dir, 'evaluation.json'))) {
    console.log(`${recipe} seed ${seed}: reusing ${path.relative(root, dir)}`);
    return;
  }
  const args = ['--import', 'tsx', path.join(root, 'cli', 'convlab.ts'), 'train', recipe, '--seed', String(seed), '--out', dir, ...extra];
  console.log(`${recipe} seed ${seed}: convlab ${args.slice(3).join(' ')}`);
  const commit = checkoutCommit(root);
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`convlab train ${recipe} --seed ${seed} failed (exit code ${r.status})`);
  await writeFileAtomic(path.join(dir, 'provenance.json'), `${JSON.stringify({ commit, command: `convlab ${args.slice(3).join(' ')}` }, null, 2)}\n`);
}

function readRun(recipe: string, dir: string): Run {
  const json = (f: string) => JSON.parse(readFileSync(path.join(dir, f), 'utf8'));
  const model = json('model.json') as { weightsManifest: { weights: { shape: number[] }[] }[] };
  const params = model.weightsManifest.flatMap((g) => g.weights).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  const commit = existsSync(path.join(dir, 'provenance.json')) ? (json('provenance.json') as { commit?: string }).commit : undefined;
  return { recipe, seed: Number(/seed-(\d+)/.exec(dir)?.[1]), dir, meta: json('convlab.json'), evaluation: json('evaluation.json'), params, commit };
}

function stats(values: number[]): string {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length === 1) return mean.toFixed(4);
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
  return `${mean.toFixed(4)} ± ${sd.toFixed(4)} (min ${Math.min(...values).toFixed(4)}, max ${Math.max(...values).toFixed(4)})`;
}

function minutes(seconds: number): string {
  return `${(seconds / 60).toFixed(1)} min`;
}

function section(recipe: string, runs: Run[]): string[] {
  const entry = zoo.entry(recipe);
  const first = runs[0];
  const t = first.meta.training;
  const lines = [`## ${recipe}`, '', `${entry.description}. Source: ${entry.source}.`, ''];
  lines.push('```', `npx convlab train ${recipe} --seed ${first.seed}`, '```', '');
  const flip = first.evaluation.flipAverage ? ' (each prediction averaged with the mirrored image\'s)' : '';
  lines.push(`| seed | test accuracy${flip ? ' (flip-averaged)' : ''} | ${flip ? 'without flip averaging | ' : ''}held-out validation | training time | epochs | commit |`);
  lines.push(`|---|---|${flip ? '---|' : ''}---|---|---|---|`);
  for (const r of runs) {
    const v = r.evaluation.validation;
    lines.push(`| ${r.seed} | ${r.evaluation.accuracy.toFixed(4)} | ${flip ? `${r.evaluation.withoutFlipAverage?.accuracy.toFixed(4)} | ` : ''}${v ? `${v.accuracy.toFixed(4)} (${v.samples} images)` : '–'} | ${minutes(r.meta.training.seconds)} | ${r.meta.training.epochs} | ${r.commit ?? 'not recorded'} |`);
  }
  lines.push('');
  lines.push(`- **Test accuracy over ${runs.length} seed(s): ${stats(runs.map((r) => r.evaluation.accuracy))}** on ${first.evaluation.samples} ${first.meta.dataset} test images${flip}.`);
  if (flip) lines.push(`- Without flip averaging: ${stats(runs.map((r) => r.evaluation.withoutFlipAverage!.accuracy))}.`);
  const vals = runs.map((r) => r.evaluation.validation).filter((v): v is NonNullable<typeof v> => Boolean(v));
  if (vals.length) lines.push(`- Held-out validation (the last ${vals[0].samples} training images, never trained on): ${stats(vals.map((v) => v.accuracy))}.`);
  lines.push(`- Training time (wall clock of fit, validation included): ${stats(runs.map((r) => r.meta.training.seconds / 60)).replace(/(\d+\.\d{4})/g, (m) => Number(m).toFixed(1))} min; ${t.backend} backend, ${t.threads ?? 1} thread(s).`);
  lines.push(`- ${first.params.toLocaleString('en-US')} parameters; ${t.epochs} epochs, batch ${t.batchSize}, ${t.optimizer} (learning rate ${t.learningRate}${t.schedule && t.schedule !== 'constant' ? `, ${t.schedule} schedule` : ''}${t.weightDecay ? `, weight decay ${t.weightDecay}` : ''}${t.labelSmoothing ? `, label smoothing ${t.labelSmoothing}` : ''}), validation split ${t.validationSplit}.`);
  const pictures = path.join(docs, 'results');
  mkdirSync(pictures, { recursive: true });
  const shown: string[] = [];
  for (const png of ['accuracy.png', 'loss.png']) {
    if (!existsSync(path.join(first.dir, png))) continue;
    copyFileSync(path.join(first.dir, png), path.join(pictures, `${recipe}-${png}`));
    shown.push(`![${recipe} ${png.replace('.png', '')}, seed ${first.seed}](results/${recipe}-${png})`);
  }
  if (shown.length) lines.push('', `Curves of seed ${first.seed}:`, '', ...shown);
  lines.push('');
  return lines;
}

const recipes = (option('--recipes') ?? '').split(',').filter(Boolean);
const seeds = (option('--seeds') ?? '1').split(',').map(Number);
const extraIndex = process.argv.indexOf('--train-args');
const extra = extraIndex >= 0 ? process.argv.slice(extraIndex + 1) : [];
if (!process.argv.includes('--report-only')) {
  if (!recipes.length) throw new Error('name the recipes to train with --recipes lenet5,... (or --report-only)');
  for (const recipe of recipes) for (const seed of seeds) await trainRun(recipe, seed, extra);
}

const all = existsSync(runsRoot) ? readdirSync(runsRoot).filter((r) => zoo.names.includes(r)) : [];
const order = zoo.names.filter((n) => all.includes(n));
const cpu = os.cpus();
const lines = [
  '# Results',
  '',
  'Test accuracy of the training recipes in the model zoo, each trained with one command. This file is',
  'written by `npm run results` (bench/results.ts) from the run directories under runs/results/; no',
  'figure here is typed by hand.',
  '',
  `Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.versions.node}, ${os.platform()} ${os.release()}. Written ${new Date().toISOString()}.`,
  '',
];
for (const recipe of order) {
  const runs = readdirSync(path.join(runsRoot, recipe))
    .filter((d) => /^seed-\d+$/.test(d) && existsSync(path.join(runsRoot, recipe, d, 'evaluation.json')))
    .map((d) => readRun(recipe, path.join(runsRoot, recipe, d)))
    .sort((a, b) => a.seed - b.seed);
  if (runs.length) lines.push(...section(recipe, runs));
}
await writeFileAtomic(path.join(docs, 'results.md'), `${lines.join('\n')}\n`);
console.log(`wrote ${path.relative(root, path.join(docs, 'results.md'))} (${order.join(', ') || 'no runs yet'})`);
