import { add, minimum, mul } from '../ops/arithmetic.js';
import { elu, leakyRelu, relu, softmax } from '../ops/nn.js';
import { transpose } from '../ops/layout.js';
import { pointwise, reluFn, type PointwiseFn } from '../ops/pointwise.js';
import type { Tensor } from '../tensor/tensor.js';
import { getInitializer, serializeInitializer, type Initializer } from './initializers.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

/** Activation layers with arguments (Keras's keras.layers.ReLU, LeakyReLU, PReLU, ELU, Softmax). */

abstract class ElementwiseLayer extends Layer {
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }
}

function finite(value: unknown, what: string, layer: string, min = -Infinity): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new Error(`${layer}: ${what} must be a finite number${min > -Infinity ? ` >= ${min}` : ''}, received ${JSON.stringify(value)}`);
  }
  return value;
}

export interface ReLUArgs extends LayerArgs {
  /** Upper bound of the output (6 for ReLU6); null or absent: none. */
  maxValue?: number | null;
  /** Slope below the threshold (default 0). */
  negativeSlope?: number;
  /** Values below it are cut (or scaled by negativeSlope); default 0. */
  threshold?: number;
}

/** Keras's ReLU layer: min(maxValue, x) above threshold, negativeSlope·(x - threshold) below. */
export class ReLU extends ElementwiseLayer {
  readonly className = 'ReLU';
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;
  private readonly fn: PointwiseFn;

  constructor(args: ReLUArgs = {}) {
    super(args, 'ReLU');
    this.maxValue = args.maxValue === undefined || args.maxValue === null ? null : finite(args.maxValue, 'maxValue', `ReLU '${this.name}'`, 0);
    this.negativeSlope = finite(args.negativeSlope ?? 0, 'negativeSlope', `ReLU '${this.name}'`, 0);
    this.threshold = finite(args.threshold ?? 0, 'threshold', `ReLU '${this.name}'`);
    this.fn = reluFn(this.maxValue, this.negativeSlope, this.threshold);
  }

  call(x: Tensor): Tensor {
    // The plain case stays on the backends' relu kernel.
    if (this.maxValue === null && this.negativeSlope === 0 && this.threshold === 0) return relu(x);
    return pointwise(this.fn, x);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}

export interface LeakyReLUArgs extends LayerArgs {
  /** Slope for x < 0 (default 0.3). Keras 3 calls it negative_slope; both are accepted. */
  alpha?: number;
  negativeSlope?: number;
}

export class LeakyReLU extends ElementwiseLayer {
  readonly className = 'LeakyReLU';
  readonly alpha: number;
  constructor(args: LeakyReLUArgs = {}) {
    super(args, 'LeakyReLU');
    this.alpha = finite(args.alpha ?? args.negativeSlope ?? 0.3, 'alpha', `LeakyReLU '${this.name}'`);
  }
  call(x: Tensor): Tensor {
    return leakyRelu(x, this.alpha);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export class ELU extends ElementwiseLayer {
  readonly className = 'ELU';
  readonly alpha: number;
  constructor(args: LayerArgs & { alpha?: number } = {}) {
    super(args, 'ELU');
    this.alpha = finite(args.alpha ?? 1, 'alpha', `ELU '${this.name}'`);
  }
  call(x: Tensor): Tensor {
    return elu(x, this.alpha);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alpha: this.alpha };
  }
}

export interface PReLUArgs extends LayerArgs {
  alphaInitializer?: string | Initializer;
  /** Axes (1-based, batch excluded) along which one alpha is shared, e.g. [1, 2] for images. */
  sharedAxes?: number | number[] | null;
}

/** relu(x) - alpha·relu(-x), with a learned alpha per position and channel. */
export class PReLU extends ElementwiseLayer {
  readonly className = 'PReLU';
  readonly alphaInitializer: Initializer;
  readonly sharedAxes: number[] | null;
  alpha: LayerVariable | null = null;

  constructor(args: PReLUArgs = {}) {
    super(args, 'PReLU');
    this.alphaInitializer = getInitializer(args.alphaInitializer, 'zeros');
    const axes = args.sharedAxes === undefined || args.sharedAxes === null ? null : typeof args.sharedAxes === 'number' ? [args.sharedAxes] : [...args.sharedAxes];
    if (axes && !axes.every((a) => Number.isInteger(a) && a >= 1)) {
      throw new Error(`PReLU '${this.name}': sharedAxes must hold axes >= 1 (the batch axis is 0), received ${JSON.stringify(args.sharedAxes)}`);
    }
    this.sharedAxes = axes;
  }

  override build(inputShape: SymbolicShape): void {
    const shape = inputShape.slice(1).map((d, i) => (this.sharedAxes?.includes(i + 1) ? 1 : d));
    if (shape.some((d) => d === null)) throw new Error(`Layer '${this.name}' (PReLU): the input shape must be known except on shared axes, received ${formatSymbolic(inputShape)}`);
    if (this.sharedAxes?.some((a) => a >= inputShape.length)) throw new Error(`Layer '${this.name}' (PReLU): sharedAxes ${JSON.stringify(this.sharedAxes)} do not exist in input ${formatSymbolic(inputShape)}`);
    this.alpha = this.addWeight('alpha', shape as number[], this.alphaInitializer);
    super.build(inputShape);
  }

  call(x: Tensor): Tensor {
    return add(relu(x), mul(this.alpha!.value, minimum(x, 0)));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), alphaInitializer: serializeInitializer(this.alphaInitializer), alphaRegularizer: null, alphaConstraint: null, sharedAxes: this.sharedAxes };
  }
}

/** Softmax over one axis (default the last), as Keras's Softmax layer. */
export class Softmax extends ElementwiseLayer {
  readonly className = 'Softmax';
  readonly axis: number;
  constructor(args: LayerArgs & { axis?: number | number[] } = {}) {
    super(args, 'Softmax');
    const axis = Array.isArray(args.axis) && args.axis.length === 1 ? args.axis[0] : args.axis ?? -1;
    if (typeof axis !== 'number' || !Number.isInteger(axis) || axis === 0) {
      throw new Error(`Softmax '${this.name}': axis must be one integer axis other than the batch axis, e.g. -1, received ${JSON.stringify(args.axis)}`);
    }
    this.axis = axis;
  }
  call(x: Tensor): Tensor {
    const axis = this.axis < 0 ? this.axis + x.rank : this.axis;
    if (axis <= 0 || axis >= x.rank) throw new Error(`Layer '${this.name}' (Softmax): axis ${this.axis} is out of range for input of rank ${x.rank}`);
    if (axis === x.rank - 1) return softmax(x);
    // Swap the axis to the end and back: the swap is its own inverse.
    const perm = x.shape.map((_, i) => (i === axis ? x.rank - 1 : i === x.rank - 1 ? axis : i));
    return transpose(softmax(transpose(x, perm)), perm);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
