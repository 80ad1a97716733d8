import { reshape } from '../ops/arithmetic.js';
import { pad } from '../ops/layout.js';
import { biasAdd, conv2d } from '../ops/nn.js';
import { outputLength } from '../ops/conv_util.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, normalizeActivation, type ActivationName } from './activations.js';
import { kernelLayerConfig } from './core.js';
import { getInitializer, type Initializer } from './initializers.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

export type Padding1D = 'valid' | 'same' | 'causal';

export interface Conv1DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number];
  strides?: number | [number];
  padding?: Padding1D;
  dilationRate?: number | [number];
  activation?: string | null;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
}

export function single(value: unknown, what: string): number {
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer (or a list of one), received ${JSON.stringify(value)}`);
  return v;
}

export function checkRank3(layer: Layer, shape: readonly (number | null)[]): void {
  if (shape.length !== 3) {
    throw new Error(`Input of layer '${layer.name}' (${layer.className}) must have rank 3 (batch, steps, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
  }
}

/**
 * Keras's Conv1D over [batch, steps, channels], kernel [k, in, filters]. It runs as a 2-D
 * convolution of a [batch, steps, 1, channels] view, so it uses the backends' conv kernels;
 * 'causal' pads (k - 1)·dilation steps on the left, then convolves 'valid'.
 */
export class Conv1D extends Layer {
  readonly className = 'Conv1D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding1D;
  readonly dilationRate: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: Conv1DArgs) {
    super(args, 'Conv1D');
    const what = `Conv1D '${this.name}'`;
    this.filters = single(args.filters, `${what}: filters`);
    this.kernelSize = single(args.kernelSize, `${what}: kernelSize`);
    this.strides = single(args.strides ?? 1, `${what}: strides`);
    this.dilationRate = single(args.dilationRate ?? 1, `${what}: dilationRate`);
    const padding = (typeof args.padding === 'string' ? args.padding.toLowerCase() : args.padding) ?? 'valid';
    if (padding !== 'valid' && padding !== 'same' && padding !== 'causal') throw new Error(`${what}: padding must be 'valid', 'same' or 'causal', received ${JSON.stringify(args.padding)}`);
    this.padding = padding;
    if (this.strides > 1 && this.dilationRate > 1) throw new Error(`${what}: strides > 1 together with dilationRate > 1 is not supported (as in TensorFlow)`);
    this.activation = normalizeActivation(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros');
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    checkRank3(this, shape);
    const channels = this.kernel?.shape[1];
    if (channels !== undefined && shape[2] !== channels) {
      throw new Error(`Input of layer '${this.name}' (Conv1D) must have ${channels} channels (last axis), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }

  override build(inputShape: SymbolicShape): void {
    this.checkInput(inputShape);
    const channels = inputShape[2];
    if (channels === null) throw new Error(`Layer '${this.name}' (Conv1D): the channel axis of the input must be known, received ${formatSymbolic(inputShape)}`);
    this.kernel = this.addWeight('kernel', [this.kernelSize, channels, this.filters], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer);
    super.build(inputShape);
  }

  private get causalPad(): number {
    return this.padding === 'causal' ? (this.kernelSize - 1) * this.dilationRate : 0;
  }

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    const mode = this.padding === 'same' ? 'same' : 'valid';
    const steps = s[1] === null ? null : outputLength(s[1] + this.causalPad, this.kernelSize, this.strides, this.dilationRate, mode).out;
    if (steps !== null && steps <= 0) throw new Error(`Layer '${this.name}' (Conv1D): a kernel of ${this.kernelSize} does not fit input ${formatSymbolic(s)} with padding '${this.padding}'`);
    return [s[0], steps, this.filters];
  }

  call(x: Tensor): Tensor {
    const padded = this.causalPad > 0 ? pad(x, [[0, 0], [this.causalPad, 0], [0, 0]]) : x;
    const [n, steps, c] = padded.shape;
    const kernel = reshape(this.kernel!.value, [this.kernelSize, 1, c, this.filters]);
    const y4 = conv2d(reshape(padded, [n, steps, 1, c]), kernel, {
      strides: [this.strides, 1], padding: this.padding === 'same' ? 'same' : 'valid', dilations: [this.dilationRate, 1],
    });
    const y = reshape(y4, [n, y4.shape[1], this.filters]);
    return getActivation(this.activation)(this.bias ? biasAdd(y, this.bias.value) : y);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      dilationRate: [this.dilationRate],
      ...kernelLayerConfig(this),
    };
  }
}
