/**
 * Optimizer state in Keras 3's layout (optimizer/vars/<i>): 0 the iteration count (int64), 1 the
 * learning rate, then the slot variables Keras's optimizer.build creates, for the model's
 * trainable weights in order:
 * - Adam / AdamW: momentum, velocity for each weight in turn (convlab's slots m, v);
 * - RMSprop: one velocity per weight (convlab's mean square, 'rms'), then with momentum > 0 one
 *   momentum per weight;
 * - SGD with momentum: one momentum per weight.
 * Others are written without slots and load with fresh ones, as Keras does when counts differ.
 * tf.keras 2 .h5 files name their optimizer weights instead ('Adam/conv2d/kernel/m:0'; Keras 3's
 * legacy .h5: 'rmsprop/sequential_conv2d_kernel_velocity'); those are matched by name.
 */
import type { LayersModel } from '../../models/layers_model.js';
import type { Optimizer, OptimizerState } from '../../optimizers/index.js';
import type { Hdf5Reader } from './hdf5.js';
import { stringList } from './weights_read.js';
import { isNumberedOptimizerWeights, readNumberedOptimizerState } from './optimizer_state_numbered.js';

interface SlotPlan {
  /** convlab slot names per weight, in Keras's order. */
  perWeight: string[];
  /** Keras creates one slot kind for all weights, then the next (RMSprop), instead of per weight (Adam). */
  grouped: boolean;
}

function plan(optimizer: Optimizer): SlotPlan | null {
  const name = optimizer.className;
  if (name === 'Adam' || name === 'AdamW') return { perWeight: ['m', 'v'], grouped: false };
  // Keras builds RMSprop's velocities for every weight, then its momentums (when momentum > 0).
  if (name === 'RMSprop') return { perWeight: (optimizer.getConfig().momentum as number) > 0 ? ['rms', 'momentum'] : ['rms'], grouped: true };
  // Keras's SGD momentum buffer is convlab's velocity: v = momentum * v - lr * g; w += v.
  // Without momentum Keras's SGD has no slots, only the iteration count.
  if (name === 'SGD') return { perWeight: (optimizer.getConfig().momentum as number) > 0 ? ['momentum'] : [], grouped: true };
  return null;
}

/** The order of (weight, slot) pairs after the two scalars. */
function order(model: LayersModel, p: SlotPlan): [string, string, number][] {
  const weights = model.trainableWeights;
  const out: [string, string, number][] = [];
  if (p.grouped) for (const slot of p.perWeight) for (const w of weights) out.push([w.name, slot, w.value.size]);
  else for (const w of weights) for (const slot of p.perWeight) out.push([w.name, slot, w.value.size]);
  return out;
}

/** What optimizer/vars holds for a compiled model, or null when it is not compiled. */
export function optimizerVariables(model: LayersModel): { name: string; values: { data: Float32Array | BigInt64Array; shape: number[] }[] } | null {
  const optimizer = model.optimizer;
  if (!optimizer) return null;
  const values: { data: Float32Array | BigInt64Array; shape: number[] }[] = [
    { data: BigInt64Array.of(BigInt(optimizer.iterations)), shape: [] },
    { data: Float32Array.of(optimizer.learningRate), shape: [] },
  ];
  const p = plan(optimizer);
  if (p && optimizer.iterations > 0) {
    const state = optimizer.getState();
    const shapes = new Map(model.trainableWeights.map((w) => [w.name, [...w.shape]]));
    for (const [weight, slot, size] of order(model, p)) {
      const stored = state.slots[weight]?.[slot];
      values.push({ data: stored ? Float32Array.from(stored) : new Float32Array(size), shape: shapes.get(weight)! });
    }
  }
  return { name: optimizer.className.toLowerCase(), values };
}

/**
 * Reads a Keras 3 optimizer/vars group into an OptimizerState for the model's (compiled)
 * optimizer, or null when the file has none or its variables do not match this optimizer.
 */
export function readOptimizerState(model: LayersModel, reader: Hdf5Reader, notes: string[]): OptimizerState | null {
  const optimizer = model.optimizer;
  const vars = reader.group('optimizer/vars');
  if (!optimizer || !vars) return null;
  const count = reader.keys(vars).length;
  const p = plan(optimizer);
  const pairs = p ? order(model, p) : [];
  // Two variables (iteration, learning rate) and no slots: an optimizer saved before its first step.
  if (count < 2 || (count === 2 && pairs.length > 0)) return null;
  if (!p || count !== pairs.length + 2) {
    notes.push(`optimizer state: the file holds ${count} ${optimizer.className} variables, convlab expects ${pairs.length + 2}; training continues with fresh optimizer slots`);
    return null;
  }
  const iterations = reader.readScalar('optimizer/vars/0');
  const shapes = new Map(model.trainableWeights.map((w) => [w.name, [...w.shape]]));
  const slots: OptimizerState['slots'] = {};
  pairs.forEach(([weight, slot], k) => {
    const values = reader.readFloats(`optimizer/vars/${k + 2}`, shapes.get(weight)!);
    (slots[weight] ??= {})[slot] = Array.from(values);
  });
  return { iterations: iterations ?? 0, learningRate: optimizer.learningRate, slots };
}

/** Keras's names for convlab's slots, tf.keras 2 first, then Keras 3. */
const KERAS_SLOTS: Record<string, string[]> = { m: ['m', 'momentum'], v: ['v', 'velocity'], rms: ['rms', 'velocity'], momentum: ['momentum'] };

/**
 * Reads named optimizer weights (an .h5 file's optimizer_weights group) for the model's compiled
 * optimizer; null, with a note, when they cannot all be matched. Keras <= 2.2's numbered slots are
 * read by position (optimizer_state_numbered.ts).
 */
export function readNamedOptimizerState(model: LayersModel, reader: Hdf5Reader, notes: string[]): OptimizerState | null {
  const optimizer = model.optimizer;
  const group = reader.group('optimizer_weights');
  if (!optimizer || !group) return null;
  const names = stringList(reader.attr(group, 'weight_names')) ?? [];
  // Keras <= 2.2 numbered its slots ('training/Adam/Variable_3:0'): those are matched by position.
  if (isNumberedOptimizerWeights(names)) return readNumberedOptimizerState(model, reader, names, notes);
  const p = plan(optimizer);
  if (!p) {
    notes.push(`optimizer state: convlab does not read ${optimizer.className} slots from Keras files; training continues with fresh ones`);
    return null;
  }
  const iterName = names.find((n) => /(^|\/)(iter|iterations|iteration)(:0)?$/.test(n));
  const slots: OptimizerState['slots'] = {};
  for (const w of model.trainableWeights) {
    const cut = w.name.lastIndexOf('/');
    const layer = w.name.slice(0, cut);
    const weight = w.name.slice(cut + 1);
    for (const slot of p.perWeight) {
      const found = names.find((n) => KERAS_SLOTS[slot].some((k) => n.endsWith(`/${layer}/${weight}/${k}:0`) || n.endsWith(`_${layer}_${weight}_${k}`)));
      if (!found) {
        notes.push(`optimizer state: no ${optimizer.className} '${slot}' slot for '${w.name}' among the file's ${names.length} optimizer weights (${names.slice(0, 2).join(', ')}, ...); training continues with fresh slots`);
        return null;
      }
      (slots[w.name] ??= {})[slot] = Array.from(reader.readFloats(`optimizer_weights/${found}`, w.shape));
    }
  }
  return { iterations: (iterName && reader.readScalar(`optimizer_weights/${iterName}`)) || 0, learningRate: optimizer.learningRate, slots };
}

/** tf.keras 2's optimizer_weights: '<Opt>/iter:0', then each slot kind for every weight ('Adam/conv2d/kernel/m:0'). */
export function namedOptimizerWeights(model: LayersModel): { name: string; data: Float32Array | BigInt64Array; shape: number[] }[] | null {
  const optimizer = model.optimizer;
  if (!optimizer) return null;
  const p = plan(optimizer);
  const prefix = optimizer.className;
  const out: { name: string; data: Float32Array | BigInt64Array; shape: number[] }[] = [{ name: `${prefix}/iter:0`, data: BigInt64Array.of(BigInt(optimizer.iterations)), shape: [] }];
  if (!p || optimizer.iterations === 0) return out;
  const state = optimizer.getState();
  for (const slot of p.perWeight) {
    for (const w of model.trainableWeights) {
      const stored = state.slots[w.name]?.[slot];
      out.push({ name: `${prefix}/${w.name}/${slot}:0`, data: stored ? Float32Array.from(stored) : new Float32Array(w.value.size), shape: [...w.shape] });
    }
  }
  return out;
}
