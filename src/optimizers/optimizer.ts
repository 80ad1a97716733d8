import type { LayerVariable } from '../layers/layer.js';
import { allocateFloat, onHeap, type FloatArray, type FloatDType } from '../tensor/dtype.js';
import type { Tensor } from '../tensor/tensor.js';

/** Per-variable slots (moments, velocities), keyed by slot name. */
export type Slots = Record<string, FloatArray>;

/** Serialisable optimizer state, for checkpoints that resume exactly. */
export interface OptimizerState {
  iterations: number;
  learningRate: number;
  slots: Record<string, Record<string, number[]>>;
  /** Storage type of each variable's slots ('float32' when absent, as in older states). */
  slotDTypes?: Record<string, FloatDType>;
}

export abstract class Optimizer {
  abstract readonly className: string;
  /** Number of updates applied so far (Keras's `optimizer.iterations`). */
  iterations = 0;
  protected readonly slots = new Map<string, Slots>();

  constructor(public learningRate: number) {
    if (!(learningRate > 0) || !Number.isFinite(learningRate)) {
      throw new Error(`Optimizer: learningRate must be a positive number, received ${learningRate}`);
    }
  }

  protected slot(variable: LayerVariable, name: string): FloatArray {
    let slots = this.slots.get(variable.name);
    if (!slots) {
      slots = {};
      this.slots.set(variable.name, slots);
    }
    // Created during the first step, kept for good: on the heap, never in the step arena.
    if (!slots[name]) slots[name] = onHeap(() => allocateFloat(variable.value.dtype as FloatDType, variable.value.size));
    return slots[name];
  }

  /** Names of the per-variable slots update() uses (none by default). */
  protected slotNames(): string[] {
    return [];
  }

  /**
   * The slots of `variable`, every one created. fit() may point entries at wasm memory while it
   * runs and puts heap arrays back when it ends (src/models/resident.ts).
   */
  slotsOf(variable: LayerVariable): Slots {
    for (const name of this.slotNames()) this.slot(variable, name);
    return this.slots.get(variable.name) ?? {};
  }

  /** Applies one update to every variable, in place. */
  applyGradients(pairs: { variable: LayerVariable; grad: Tensor }[]): void {
    this.iterations++;
    for (const { variable, grad } of pairs) {
      if (grad.size !== variable.value.size) {
        throw new Error(`Optimizer: gradient of shape [${grad.shape}] does not match weight '${variable.name}' of shape [${variable.shape}]`);
      }
    }
    this.updateAll(pairs.map(({ variable }) => variable), pairs.map(({ grad }) => grad.storage as FloatArray));
  }

  /** One update of every variable; optimizers that can do all in one kernel call override it. */
  protected updateAll(variables: LayerVariable[], grads: FloatArray[]): void {
    variables.forEach((variable, i) => this.update(variable, grads[i]));
  }

  protected abstract update(variable: LayerVariable, grad: FloatArray): void;

  abstract getConfig(): Record<string, unknown>;

  getState(): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    const slotDTypes: Record<string, FloatDType> = {};
    for (const [name, s] of this.slots) {
      slots[name] = Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Array.from(v)]));
      const first = Object.values(s)[0];
      slotDTypes[name] = first instanceof Float64Array ? 'float64' : 'float32';
    }
    return { iterations: this.iterations, learningRate: this.learningRate, slots, slotDTypes };
  }

  setState(state: OptimizerState): void {
    this.iterations = state.iterations;
    this.learningRate = state.learningRate;
    this.slots.clear();
    for (const [name, s] of Object.entries(state.slots)) {
      const dtype = state.slotDTypes?.[name] ?? 'float32';
      this.slots.set(name, Object.fromEntries(Object.entries(s).map(([k, v]) => [k, dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v)])));
    }
  }
}
