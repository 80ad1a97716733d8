import { add, div, mean, mul, reshape, sqrt, square, sub } from '../ops/arithmetic.js';
import type { Tensor } from '../tensor/tensor.js';
import { getInitializer, serializeInitializer, type Initializer } from './initializers.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** Axis or axes normalised over (default -1). */
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: string | Initializer;
  gammaInitializer?: string | Initializer;
}

/**
 * Keras's LayerNormalization: each sample is normalised by its own mean and (biased) variance
 * over `axis`, then scaled by gamma and shifted by beta, which span those axes. Built from
 * differentiable ops, so its gradient is exact by construction.
 */
export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly axis: number | number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly betaInitializer: Initializer;
  readonly gammaInitializer: Initializer;
  gamma: LayerVariable | null = null;
  beta: LayerVariable | null = null;
  private axes: number[] = [];

  constructor(args: LayerNormalizationArgs = {}) {
    super(args, 'LayerNormalization');
    const axis = args.axis ?? -1;
    const list = Array.isArray(axis) ? axis : [axis];
    if (list.length === 0 || !list.every((a) => Number.isInteger(a))) throw new Error(`LayerNormalization '${this.name}': axis must be an integer or a list of integers, received ${JSON.stringify(args.axis)}`);
    this.axis = Array.isArray(axis) ? [...axis] : axis;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.epsilon > 0 && Number.isFinite(this.epsilon))) throw new Error(`LayerNormalization '${this.name}': epsilon must be a positive number, received ${JSON.stringify(args.epsilon)}`);
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.betaInitializer = getInitializer(args.betaInitializer, 'zeros');
    this.gammaInitializer = getInitializer(args.gammaInitializer, 'ones');
  }

  private resolveAxes(rank: number): number[] {
    const list = Array.isArray(this.axis) ? this.axis : [this.axis];
    const axes = list.map((a) => (a < 0 ? a + rank : a));
    if (axes.some((a) => a <= 0 || a >= rank) || new Set(axes).size !== axes.length) {
      throw new Error(`Layer '${this.name}' (LayerNormalization): axis ${JSON.stringify(this.axis)} is invalid for input of rank ${rank} (the batch axis 0 cannot be normalised over)`);
    }
    return axes.sort((a, b) => a - b);
  }

  override build(inputShape: SymbolicShape): void {
    this.axes = this.resolveAxes(inputShape.length);
    const shape = this.axes.map((a) => inputShape[a]);
    if (shape.some((d) => d === null)) throw new Error(`Layer '${this.name}' (LayerNormalization): the normalised axes must have known sizes, received ${formatSymbolic(inputShape)}`);
    if (this.scale) this.gamma = this.addWeight('gamma', shape as number[], this.gammaInitializer);
    if (this.center) this.beta = this.addWeight('beta', shape as number[], this.betaInitializer);
    super.build(inputShape);
  }

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    return s;
  }

  call(x: Tensor): Tensor {
    const axes = this.axes;
    const m = mean(x, axes, true);
    const centered = sub(x, m);
    const variance = mean(square(centered), axes, true);
    let y = div(centered, sqrt(add(variance, this.epsilon)));
    // gamma and beta span the normalised axes: give them size-1 axes elsewhere to broadcast.
    const broadcast = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    if (this.gamma) y = mul(y, reshape(this.gamma.value, broadcast));
    if (this.beta) y = add(y, reshape(this.beta.value, broadcast));
    return y;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.betaInitializer),
      gammaInitializer: serializeInitializer(this.gammaInitializer),
      betaRegularizer: null,
      gammaRegularizer: null,
    };
  }
}
