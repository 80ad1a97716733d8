import { getFloatX, onHeap, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import type { Initializer } from './initializers.js';
import { SymbolicTensor, isSymbolic } from './symbolic.js';

/** A shape whose batch (and possibly other) dimensions are unknown: (None, 28, 28, 1). */
export type SymbolicShape = (number | null)[];

export function formatSymbolic(shape: readonly (number | null)[]): string {
  const parts = shape.map((d) => (d === null ? 'None' : String(d)));
  return `(${parts.join(', ')}${parts.length === 1 ? ',' : ''})`;
}

/** A weight of a layer. Optimisers update `value` in place, so the tensor identity is stable. */
export class LayerVariable {
  constructor(
    readonly name: string,
    public value: Tensor,
    readonly trainable: boolean,
  ) {}

  get shape(): readonly number[] {
    return this.value.shape;
  }

  /** Replaces the values, checking that the shape is unchanged. */
  assign(values: Tensor): void {
    if (values.shape.length !== this.value.shape.length || values.shape.some((d, i) => d !== this.value.shape[i])) {
      throw new Error(`Weight '${this.name}' has shape ${formatSymbolic(this.value.shape as number[])}, cannot assign a value of shape ${formatSymbolic(values.shape as number[])}`);
    }
    const target = this.value.data;
    target.set(values.data as never);
  }
}

export interface LayerArgs {
  name?: string;
  /** Shape of one sample, without the batch axis: [28, 28, 1]. Only the first layer needs it. */
  inputShape?: (number | null)[];
  /** Shape including the batch axis: [null, 28, 28, 1]. */
  batchInputShape?: (number | null)[];
  batchSize?: number;
  trainable?: boolean;
  dtype?: FloatDType;
}

/**
 * Arguments of a call in a model graph. `training: false` runs the layer (a nested base model)
 * in inference mode whatever the model does, as Keras's `base(inputs, training=False)`: its
 * BatchNormalization keeps its moving statistics even after the base is unfrozen.
 */
export interface CallArgs {
  training?: boolean;
}

const nameCounters = new Map<string, number>();

/** Keras-style unique names: conv2d, conv2d_1, conv2d_2, ... */
export function uniqueName(base: string): string {
  const n = nameCounters.get(base) ?? 0;
  nameCounters.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Restarts the name counters, as `keras.backend.clear_session()` does. */
export function resetNames(): void {
  nameCounters.clear();
}

/** Keras's `clear_session()`: layer and model names start again from conv2d, dense, ... */
export const clearSession = resetNames;

export function snakeCase(className: string): string {
  // Keras's to_snake_case: Conv2D -> conv2d, MaxPooling2D -> max_pooling2d.
  return className.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/**
 * The Keras layer lifecycle: build(inputShape) creates weights once the input shape is known,
 * call(x) computes the output, computeOutputShape(shape) predicts it, getConfig() describes it.
 */
export abstract class Layer {
  abstract readonly className: string;
  readonly name: string;
  /** The variables this layer creates (a model's `weights` gathers its layers' instead). */
  protected readonly ownWeights: LayerVariable[] = [];
  private trainableFlag: boolean;
  private builtFlag = false;
  /** Batch input shape given at construction (first layer of a model). */
  readonly batchInputShape: SymbolicShape | null;
  /** The input shape seen at build time, batch axis included. */
  builtInputShape: SymbolicShape | null = null;
  readonly dtype: FloatDType;

  constructor(args: LayerArgs, className: string) {
    this.name = args.name ?? uniqueName(snakeCase(className));
    // The field, not the setter: a model's setter reaches layers that do not exist yet.
    this.trainableFlag = args.trainable ?? true;
    this.dtype = args.dtype ?? getFloatX();
    if (args.batchInputShape) this.batchInputShape = [...args.batchInputShape];
    else if (args.inputShape) this.batchInputShape = [args.batchSize ?? null, ...args.inputShape];
    else this.batchInputShape = null;
    if (this.batchInputShape) {
      for (const d of this.batchInputShape.slice(1)) {
        if (d !== null && (!Number.isInteger(d) || d <= 0)) {
          throw new Error(`Layer '${this.name}': inputShape must hold positive integers, received ${JSON.stringify(args.inputShape ?? args.batchInputShape)}`);
        }
      }
    }
  }

  /** The layer's weights (accessors, so that a model, which is a layer, can gather its layers'). */
  get weights(): LayerVariable[] {
    return this.ownWeights;
  }

  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    this.trainableFlag = value;
  }

  get built(): boolean {
    return this.builtFlag;
  }

  set built(value: boolean) {
    this.builtFlag = value;
  }

  /** Creates the weights. Subclasses call super.build() at the end. */
  build(inputShape: SymbolicShape): void {
    this.builtInputShape = [...inputShape];
    this.built = true;
  }

  abstract call(x: Tensor, training: boolean): Tensor;
  abstract computeOutputShape(inputShape: SymbolicShape): SymbolicShape;

  /** Checks the input against what the layer accepts; throws a message quoting both shapes. */
  protected checkInput(shape: readonly (number | null)[]): void {
    void shape;
  }

  /**
   * Builds on first use, validates the input, then calls. Given a SymbolicTensor (from
   * `input()` or another layer), it instead adds this layer to a model graph, as in Keras.
   */
  apply(x: SymbolicTensor | SymbolicTensor[], kwargs?: CallArgs): SymbolicTensor;
  apply(x: Tensor, training?: boolean): Tensor;
  apply(x: Tensor | SymbolicTensor | SymbolicTensor[], training: boolean | CallArgs = false): Tensor | SymbolicTensor {
    if (isSymbolic(x)) {
      const out = this.applySymbolic(Array.isArray(x) ? x : [x]);
      const fixed = typeof training === 'object' && training !== null ? training.training : undefined;
      if (fixed !== undefined) {
        if (typeof fixed !== 'boolean') throw new Error(`Layer '${this.name}': training must be true or false, received ${JSON.stringify(fixed)}`);
        out.producer!.training = fixed;
      }
      return out;
    }
    this.validateInput(x.shape);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return this.call(x, training === true);
  }

  /** Runs the layer on the tensors of a graph node (one input, except for merge layers). */
  applyTensors(xs: Tensor[], training: boolean): Tensor {
    if (xs.length !== 1) throw new Error(`Layer '${this.name}' (${this.className}) takes one input, received ${xs.length}`);
    return this.apply(xs[0], training);
  }

  protected applySymbolic(inputs: SymbolicTensor[]): SymbolicTensor {
    if (inputs.length !== 1) throw new Error(`Layer '${this.name}' (${this.className}) takes one input, received ${inputs.length}; merge several with layers.add() or layers.concatenate()`);
    const shape = inputs[0].shape;
    this.validateInput(shape);
    if (!this.built) this.build([null, ...shape.slice(1)]);
    return new SymbolicTensor(this.computeOutputShape([null, ...shape.slice(1)]), { layer: this, inputs }, this.name);
  }

  validateInput(shape: readonly (number | null)[]): void {
    const expected = this.builtInputShape ?? this.batchInputShape;
    if (expected) {
      const mismatch = expected.length !== shape.length || expected.some((d, i) => i > 0 && d !== null && shape[i] !== null && d !== shape[i]);
      if (mismatch) {
        throw new Error(`Input of layer '${this.name}' (${this.className}) is incompatible: expected shape ${formatSymbolic(expected)}, received ${formatSymbolic([null, ...shape.slice(1)])}`);
      }
    }
    this.checkInput(shape);
  }

  protected addWeight(name: string, shape: number[], initializer: Initializer, trainable = true): LayerVariable {
    // A layer may build inside a training step; its weights outlive the step, so never the arena.
    const value = onHeap(() => initializer.init(shape, this.dtype));
    // The weight's own flag (a moving mean is never trained); the layer's `trainable`, which may
    // change between fit calls, is applied by trainableWeights.
    const variable = new LayerVariable(`${this.name}/${name}`, value, trainable);
    this.ownWeights.push(variable);
    return variable;
  }

  get trainableWeights(): LayerVariable[] {
    return this.trainable ? this.weights.filter((w) => w.trainable) : [];
  }

  get nonTrainableWeights(): LayerVariable[] {
    return this.trainable ? this.weights.filter((w) => !w.trainable) : [...this.weights];
  }

  countParams(): number {
    return this.weights.reduce((n, w) => n + w.value.size, 0);
  }

  getWeights(): Tensor[] {
    return this.weights.map((w) => new Tensor(w.value.data.slice(), w.value.shape));
  }

  setWeights(values: Tensor[]): void {
    if (values.length !== this.weights.length) {
      throw new Error(`Layer '${this.name}' has ${this.weights.length} weights, setWeights received ${values.length}`);
    }
    this.weights.forEach((w, i) => w.assign(values[i]));
  }

  /** TF.js-style config: the constructor arguments, with the base fields every layer has. */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: this.dtype };
    if (this.batchInputShape) config.batchInputShape = this.batchInputShape;
    return config;
  }
}
