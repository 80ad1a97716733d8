/**
 * Optimizer weights as Keras 2.0-2.2 saved them in .h5 files: TensorFlow named every slot variable
 * after a counter ('training/Adam/Variable:0', 'training/Adam/Variable_1:0', ...), so nothing in
 * the name says which weight a slot belongs to. Keras itself restored them by position, in the
 * order its optimizer built `self.weights` (keras/optimizers.py of Keras 2.0-2.2):
 * - Adam:    [iterations] + ms + vs (+ vhats from Keras 2.1.3: one per weight, shape (1,) unless
 *            amsgrad, when it has the weight's shape);
 * - SGD:     [iterations] + moments (one per weight, created even when momentum is 0);
 * - RMSprop: accumulators (no iterations in Keras 2.2.x), + momentums in Keras 2.3.
 * Each list follows the model's trainable weights in order. This module maps them the same way
 * and compares every slot's shape with its weight's before a value is read.
 */
import type { LayersModel } from '../../models/layers_model.js';
import type { OptimizerState } from '../../optimizers/index.js';
import type { Hdf5Reader } from './hdf5.js';

const NUMBERED = /(^|\/)Variable(_\d+)?:0$/;
const ITERATIONS = /(^|\/)(iter|iterations|iteration)(:0)?$/;

/** Whether an optimizer_weights list is in the numbered (Keras <= 2.2) form. */
export function isNumberedOptimizerWeights(names: string[]): boolean {
  return names.some((n) => NUMBERED.test(n));
}

/** One block of slots, one per trainable weight: convlab's slot name, or null for a block Keras keeps and convlab does not use. */
type Block = { slot: string | null; what: string; anyShape?: boolean };

/** The blocks Keras 2.0-2.2 would have saved for `optimizer`, given how many slot variables the file holds. */
function blocks(model: LayersModel, count: number, notes: string[]): Block[] | null {
  const optimizer = model.optimizer!;
  const n = model.trainableWeights.length;
  const config = optimizer.getConfig();
  const name = optimizer.className;
  if (n === 0) return null;
  if (name === 'Adam' || name === 'AdamW') {
    if (count === 2 * n) return [{ slot: 'm', what: 'ms' }, { slot: 'v', what: 'vs' }];
    // vhats: shape (1,) placeholders, or AMSGrad's running maxima, which convlab's Adam does not keep.
    if (count === 3 * n) return [{ slot: 'm', what: 'ms' }, { slot: 'v', what: 'vs' }, { slot: null, what: 'vhats', anyShape: true }];
  }
  if (name === 'SGD' && count === n) {
    // Without momentum Keras still saved the moments, but the next step does not read them.
    return [{ slot: (config.momentum as number) > 0 ? 'momentum' : null, what: 'moments' }];
  }
  if (name === 'RMSprop') {
    if (count === n) {
      if ((config.momentum as number) > 0) notes.push('optimizer state: the file\'s RMSprop has no momentum slots; convlab\'s momentum starts at zero');
      return [{ slot: 'rms', what: 'accumulators' }];
    }
    if (count === 2 * n) return [{ slot: 'rms', what: 'accumulators' }, { slot: (config.momentum as number) > 0 ? 'momentum' : null, what: 'momentums' }];
  }
  notes.push(`optimizer state: the file numbers its ${count} ${name} slot variables (Keras <= 2.2), which does not fit ${name}'s layout for this model's ${n} trainable weights (${name === 'SGD' || name === 'RMSprop' ? `${n} or ${2 * n}` : `${2 * n} or ${3 * n}`} expected); training continues with fresh optimizer slots`);
  return null;
}

const same = (a: readonly number[], b: readonly number[]): boolean => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Reads numbered optimizer weights by position; null, with a note naming the slot, its shape and
 * the weight's, when anything disagrees (the model itself still loads).
 */
export function readNumberedOptimizerState(model: LayersModel, reader: Hdf5Reader, names: string[], notes: string[]): OptimizerState | null {
  const optimizer = model.optimizer!;
  const iterName = names.find((n) => ITERATIONS.test(n));
  const slotNames = names.filter((n) => n !== iterName);
  const stray = slotNames.find((n) => !NUMBERED.test(n));
  if (stray !== undefined) {
    notes.push(`optimizer state: '${stray}' is neither an iteration count nor a numbered slot among the file's optimizer weights; training continues with fresh optimizer slots`);
    return null;
  }
  const plan = blocks(model, slotNames.length, notes);
  if (!plan) return null;
  const weights = model.trainableWeights;
  // Every shape first, so that nothing is read from a file that does not fit.
  for (const [b, block] of plan.entries()) {
    for (const [i, w] of weights.entries()) {
      const name = slotNames[b * weights.length + i];
      const shape = reader.dataset(`optimizer_weights/${name}`)?.shape;
      const fits = shape !== undefined && (same(shape, w.shape) || (block.anyShape === true && same(shape, [1])));
      if (!fits) {
        notes.push(`optimizer state: '${name}' (${optimizer.className}'s ${block.what}[${i}], for '${w.name}') has shape ${JSON.stringify(shape ?? 'missing')} in the file but the weight has ${JSON.stringify(w.shape)}; training continues with fresh optimizer slots`);
        return null;
      }
    }
  }
  const slots: OptimizerState['slots'] = {};
  for (const [b, block] of plan.entries()) {
    if (block.slot === null) continue;
    for (const [i, w] of weights.entries()) {
      (slots[w.name] ??= {})[block.slot] = Array.from(reader.readFloats(`optimizer_weights/${slotNames[b * weights.length + i]}`, w.shape));
    }
  }
  if (plan.some((b) => b.what === 'vhats')) {
    const amsgrad = slotNames.slice(2 * weights.length).some((n) => !same(reader.dataset(`optimizer_weights/${n}`)!.shape, [1]));
    if (amsgrad) notes.push('optimizer state: the file\'s AMSGrad maxima (vhats) are dropped; convlab\'s Adam is not AMSGrad');
  }
  const iterations = iterName !== undefined ? (reader.readScalar(`optimizer_weights/${iterName}`) ?? 0) : 0;
  if (iterName === undefined) notes.push(`optimizer state: the file keeps no ${optimizer.className} iteration count (Keras 2.2 RMSprop did not save it); counting starts at 0`);
  return { iterations, learningRate: optimizer.learningRate, slots };
}
