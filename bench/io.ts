/**
 * Save/load speed in the TF.js Layers format, convlab against TensorFlow.js 4.22 (cpu backend)
 * in the same run, median of N runs each:
 *   - serialise: model → artifacts in memory (topology JSON + one weight buffer)
 *   - deserialise: artifacts → a model ready to predict (validation included for convlab)
 *   - convlab's file save (temporary files, fsync, rename) and load, and ONNX export
 *
 *   node --import tsx bench/io.ts [--runs N] [--models cifar-cnn,lab-mlp]
 * Run under the CPU lock on a shared machine: flock /tmp/convlab-cpu.lock node --import tsx bench/io.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setSeed, zoo } from '../src/index.js';
import { artifactsToModel, exportOnnx, loadLayersModel, modelToArtifacts } from '../src/io/index.js';
import type { ModelArtifacts } from '../src/io/index.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const runs = Number(arg('--runs') ?? 5);
const names = (arg('--models') ?? 'cifar-cnn,lab-mlp').split(',');

async function median(fn: () => Promise<unknown> | unknown): Promise<number> {
  await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const warn = console.warn;
console.warn = () => undefined;
await tf.setBackend('cpu');
console.warn = warn;
const dir = mkdtempSync(path.join(os.tmpdir(), 'convlab-bench-io-'));
const rows: string[] = [];
try {
  for (const name of names) {
    setSeed(1);
    const model = zoo.create(name);
    const artifacts = modelToArtifacts(model);
    const tfModel = await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts));
    const capture: tf.io.IOHandler = { save: async () => ({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } }) };
    const mb = (model.countParams() * 4) / 2 ** 20;
    const ours = {
      serialise: await median(() => modelToArtifacts(model)),
      deserialise: await median(() => artifactsToModel(artifacts)),
    };
    const theirs = {
      serialise: await median(() => tfModel.save(capture)),
      deserialise: await median(async () => (await tf.loadLayersModel(tf.io.fromMemory(artifacts as tf.io.ModelArtifacts))).dispose()),
    };
    const target = path.join(dir, name);
    const fileSave = await median(() => model.save(target));
    const fileLoad = await median(() => loadLayersModel(target));
    const onnx = await median(() => exportOnnx(model));
    const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
    rows.push(`| ${name} | ${model.countParams().toLocaleString('en-US')} (${mb.toFixed(1)} MiB) | ${fmt(ours.serialise)} | ${fmt(theirs.serialise)} | ${fmt(ours.deserialise)} | ${fmt(theirs.deserialise)} | ${fmt(fileSave)} | ${fmt(fileLoad)} | ${fmt(onnx)} |`);
    tfModel.dispose();
    void (artifacts as ModelArtifacts);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`Median of ${runs} runs (after one warm-up), Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'} x${os.cpus().length}`);
console.log('| model | params | serialise convlab | serialise TF.js | deserialise convlab | deserialise TF.js | file save convlab | file load convlab | ONNX export convlab |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
