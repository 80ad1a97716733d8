/**
 * A training run for the checkpoint tests, run as a child process so it can be killed:
 *   node --import tsx train_child.ts <checkpointDir> <finalDir> [hangAt=epoch:batch]
 * It resumes from <checkpointDir> when a training state is there, trains with a ModelCheckpoint
 * that saves the full training state every epoch, and saves the final model to <finalDir>.
 * With hangAt it prints HANG and stops making progress at that batch (mid-epoch), so the parent
 * can SIGKILL it at a known point. CHILD_BATCH_DELAY_MS=n waits n ms after each batch, so that
 * a parent starved of CPU on a busy machine still sees the checkpoints appear before the end.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ModelCheckpoint, Random, Tensor, layers, loadTrainingState, sequential, setSeed } from '../../../src/index.js';

const [dir, finalDir, hangAt] = process.argv.slice(2);
const [hangEpoch, hangBatch] = hangAt ? hangAt.split(':').map(Number) : [-1, -1];
const EPOCHS = 6;
const batchDelay = Number(process.env.CHILD_BATCH_DELAY_MS ?? 0);

setSeed(1234);
const model = sequential({ layers: [
  layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [10, 10, 1] }),
  layers.batchNormalization(),
  layers.maxPooling2d({ poolSize: 2 }),
  layers.dropout({ rate: 0.3 }),
  layers.flatten(),
  layers.dense({ units: 12, activation: 'relu' }),
  layers.dropout({ rate: 0.2, seed: 5 }),
  layers.dense({ units: 3, activation: 'softmax' }),
] });
model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });

// Data from its own generator, so it is the same in every process whatever the global state.
const rng = new Random(99);
const n = 240;
const x = new Float32Array(n * 100).map(() => rng.next());
const y = new Int32Array(n).map((_, i) => (x[i * 100 + 11] + x[i * 100 + 55] > 1 ? 2 : x[i * 100 + 44] > 0.5 ? 1 : 0));

let initialEpoch = 0;
if (existsSync(join(dir, 'training_state.json'))) {
  const state = await loadTrainingState(dir, model);
  initialEpoch = state.epoch;
  process.stdout.write(`RESUMED ${initialEpoch}\n`);
}
let epochNow = -1;
await model.fit(new Tensor(x, [n, 10, 10, 1]), new Tensor(y, [n]), {
  epochs: EPOCHS,
  batchSize: 16,
  initialEpoch,
  validationSplit: 0.25,
  verbose: 0,
  callbacks: [
    new ModelCheckpoint({ filepath: dir, trainingState: true }),
    {
      onEpochBegin: (epoch) => { epochNow = epoch; },
      onBatchEnd: async (batch) => {
        if (batchDelay > 0) await new Promise((r) => setTimeout(r, batchDelay));
        if (epochNow === hangEpoch && batch === hangBatch) {
          process.stdout.write('HANG\n');
          await new Promise(() => setInterval(() => undefined, 1000));
        }
      },
    },
  ],
});
await model.save(finalDir);
process.stdout.write(`DONE ${JSON.stringify(model.history?.history.loss ?? [])}\n`);
