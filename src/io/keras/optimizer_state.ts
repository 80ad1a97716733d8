/**
 * Optimizer state in Keras 3's layout (optimizer/vars/<i>): 0 the iteration count (int64), 1 the
 * learning rate, then the slot variables Keras's optimizer.build creates, for the model's
 * trainable weights in order:
 * - Adam / AdamW: momentum, velocity for each weight in turn (convlab's slots m, v);
 * - RMSprop without momentum: one velocity per weight (convlab's mean square, 'rms').
 * Other optimizers (SGD's momentum buffer is defined differently in Keras) are written without
 * slots and load with fresh ones, as Keras does when the counts do not match.
 */
import type { LayersModel } from '../../models/layers_model.js';
import type { Optimizer, OptimizerState } from '../../optimizers/index.js';
import type { Hdf5Reader } from './hdf5.js';

interface SlotPlan {
  /** convlab slot names per weight, in Keras's order. */
  perWeight: string[];
  /** Keras creates one slot kind for all weights, then the next (RMSprop), instead of per weight (Adam). */
  grouped: boolean;
}

function plan(optimizer: Optimizer): SlotPlan | null {
  const name = optimizer.className;
  if (name === 'Adam' || name === 'AdamW') return { perWeight: ['m', 'v'], grouped: false };
  if (name === 'RMSprop' && (optimizer.getConfig().momentum as number) === 0) return { perWeight: ['rms'], grouped: true };
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
  if (count <= 2) return null;
  const p = plan(optimizer);
  const pairs = p ? order(model, p) : [];
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
