/**
 * Issue 18's "transfer works", as a script run by hand:
 *
 *   node --import tsx bench/transfer.ts [--data-dir /work/shared/datasets] [--base-epochs 2]
 *       [--n 500] [--epochs 20] [--seeds 1,2,3] [--model lab-cnn] [--cut 1] [--finetune-epochs 0]
 *       [--one-base] [--target 5-9|0-4]
 *
 * Trains a model on Fashion-MNIST classes 0-4 (all 30,000 training images of those classes),
 * replaces its head with one for classes 5-9 and freezes its base (replaceHead), trains the head
 * on n images of classes 5-9 (a different sample per seed), and compares its test accuracy on the
 * 5,000 test images of classes 5-9 with the same network trained from scratch on those n images,
 * for each seed (--one-base: the base is trained once, with the first seed, and each seed
 * varies the n images and the new head). Pixels are scaled to [0, 1] (gatherBatch), as the CLI does.
 *
 * For a network with BatchNormalization, the from-scratch model is also evaluated after its
 * moving averages are replaced by the exact statistics of the n images (one forward pass in
 * training mode, weights unchanged): with n = 500 and batch 32, fit takes 16 steps an epoch, too
 * few for Keras's momentum of 0.99 to forget the moving variance's initial 1 (0.99^320 = 0.04
 * after 20 epochs), so inference mode normalizes with statistics that training never saw. That
 * figure tells a network that learned nothing from one whose inference statistics lag.
 */
import { Adam, datasets, replaceHead, setSeed, Tensor, zoo, ready } from '../src/index.js';
import { BatchNormalization } from '../src/layers/batch_normalization.js';

const { gatherBatch } = datasets;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const dataDir = arg('data-dir', '/work/shared/datasets');
const baseEpochs = Number(arg('base-epochs', '2'));
const n = Number(arg('n', '500'));
const epochs = Number(arg('epochs', '20'));
const seeds = arg('seeds', '1,2,3').split(',').map(Number);
const modelName = arg('model', 'lab-cnn');
const cut = Number(arg('cut', '1'));
const finetuneEpochs = Number(arg('finetune-epochs', '0'));
const oneBase = process.argv.includes('--one-base');
// --target 0-4: a check of the machinery rather than of transfer: the new head learns the base's
// own classes from n images (a frozen base that works should then beat scratch by far).
const target = arg('target', '5-9');
if (target !== '5-9' && target !== '0-4') throw new Error(`--target must be 5-9 or 0-4, received ${target}`);
const shiftBy = target === '5-9' ? 5 : 0;
const inTarget = (l: number) => (target === '5-9' ? l >= 5 : l < 5);

const fm = await datasets.fashionMnist.loadData({ dir: dataDir });
await ready();
function pick(split: { images: Tensor; labels: Tensor }, keep: (label: number) => boolean, limit = Infinity, shift = 0) {
  const idx: number[] = [];
  const labels = split.labels.data as Uint8Array;
  for (let i = 0; i < labels.length && idx.length < limit; i++) if (keep(labels[i])) idx.push(i);
  return { x: gatherBatch(split.images, idx), y: new Tensor(Int32Array.from(idx, (i) => labels[i] - shift), [idx.length]) };
}
const low = pick(fm.train, (l) => l < 5);
const highTest = pick(fm.test, inTarget, Infinity, shiftBy);
const accuracy = (model: ReturnType<typeof zoo.create>) => {
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  return model.evaluate(highTest.x, highTest.y, { verbose: 0, batchSize: 256 })[1];
};

let base: ReturnType<typeof zoo.create> | null = null;
let trained: Tensor[] = [];
for (const seed of seeds) {
  if (!base || !oneBase) {
    setSeed(seed);
    base = zoo.create(modelName, { numClasses: 5 });
    base.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await base.fit(low.x, low.y, { epochs: baseEpochs, batchSize: 64, verbose: 0 });
    trained = base.getWeights();
  } else {
    // The one base, as trained (fine-tuning the previous seed's model changed its shared layers).
    base.setWeights(trained);
    setSeed(seed);
  }
  // n images of classes 5-9, a different sample per seed.
  const labels = fm.train.labels.data as Uint8Array;
  const candidates: number[] = [];
  for (let i = 0; i < labels.length; i++) if (inTarget(labels[i])) candidates.push(i);
  let s = seed;
  for (let i = candidates.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) >>> 0;
    const j = s % (i + 1);
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  const few = candidates.slice(0, n);
  const fewX = gatherBatch(fm.train.images, few);
  const fewY = new Tensor(Int32Array.from(few, (i) => labels[i] - shiftBy), [n]);

  const transfer = replaceHead(base, { numClasses: 5, cut, freezeBase: true });
  transfer.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await transfer.fit(fewX, fewY, { epochs, batchSize: 32, verbose: 0 });
  const transferAcc = accuracy(transfer);
  let finetuned = '';
  if (finetuneEpochs > 0) {
    // Keras's guide: unfreeze, then fine-tune everything at a low learning rate.
    transfer.trainable = true;
    transfer.compile({ optimizer: new Adam({ learningRate: 1e-4 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    await transfer.fit(fewX, fewY, { epochs: finetuneEpochs, batchSize: 32, verbose: 0 });
    finetuned = `, then unfrozen and fine-tuned ${finetuneEpochs} epochs at 1e-4 ${accuracy(transfer).toFixed(4)}`;
  }

  setSeed(seed + 1000);
  const scratch = zoo.create(modelName, { numClasses: 5 });
  scratch.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  await scratch.fit(fewX, fewY, { epochs, batchSize: 32, verbose: 0 });
  const scratchAcc = accuracy(scratch);
  // The exact statistics of the n images in place of the moving averages (see the top).
  const norms = scratch.layers.filter((l): l is BatchNormalization => l instanceof BatchNormalization);
  let recalibrated = '';
  if (norms.length > 0) {
    for (const bn of norms) (bn as { momentum: number }).momentum = 0;
    scratch.call(fewX, true);
    recalibrated = ` (${accuracy(scratch).toFixed(4)} with its BatchNormalization statistics recomputed on the ${n} images)`;
  }
  console.log(`seed ${seed}: ${modelName}, base ${baseEpochs} epochs${oneBase ? ' (trained once)' : ''} on ${low.y.shape[0]} images of classes 0-4; ${n} images of classes ${target}, ${epochs} epochs; test accuracy on ${highTest.y.shape[0]} images of ${target}: frozen base (cut ${cut}) + new head ${transferAcc.toFixed(4)}${finetuned}, from scratch ${scratchAcc.toFixed(4)}${recalibrated}`);
}
