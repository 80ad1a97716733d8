import { biasAdd, conv2d } from '../ops/nn.js';
import { depthwiseConv2d } from '../ops/depthwise_conv.js';
import { normalizePadding, normalizePair, outputLength, type Padding } from '../ops/conv_util.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, normalizeActivation, type ActivationName } from './activations.js';
import { getInitializer, serializeInitializer, type Initializer } from './initializers.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

/** DepthwiseConv2D and SeparableConv2D (MobileNet's building blocks), channels-last. */

export interface DepthwiseConv2DArgs extends LayerArgs {
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  dataFormat?: 'channelsLast';
  dilationRate?: number | [number, number];
  /** Output channels per input channel (default 1). */
  depthMultiplier?: number;
  activation?: string | null;
  useBias?: boolean;
  depthwiseInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
}

export interface SeparableConv2DArgs extends DepthwiseConv2DArgs {
  filters: number;
  pointwiseInitializer?: string | Initializer;
}

abstract class DepthwiseBase extends Layer {
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly depthMultiplier: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly depthwiseInitializer: Initializer;
  readonly biasInitializer: Initializer;
  depthwiseKernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: DepthwiseConv2DArgs, className: string) {
    super(args, className);
    const what = `${className} '${this.name}'`;
    if (args.dataFormat !== undefined && args.dataFormat !== null && args.dataFormat !== 'channelsLast') {
      throw new Error(`${what}: only dataFormat 'channelsLast' (NHWC) is supported, received ${JSON.stringify(args.dataFormat)}`);
    }
    this.kernelSize = normalizePair(args.kernelSize, `${what}: kernelSize`);
    this.strides = normalizePair(args.strides ?? 1, `${what}: strides`);
    this.padding = normalizePadding(args.padding ?? 'valid');
    this.dilationRate = normalizePair(args.dilationRate ?? 1, `${what}: dilationRate`);
    const m = args.depthMultiplier ?? 1;
    if (!Number.isInteger(m) || m <= 0) throw new Error(`${what}: depthMultiplier must be a positive integer, received ${JSON.stringify(args.depthMultiplier)}`);
    this.depthMultiplier = m;
    this.activation = normalizeActivation(args.activation);
    this.useBias = args.useBias ?? true;
    this.depthwiseInitializer = getInitializer(args.depthwiseInitializer, 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros');
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length !== 4) {
      throw new Error(`Input of layer '${this.name}' (${this.className}) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
    const channels = this.depthwiseKernel?.shape[2];
    if (channels !== undefined && shape[3] !== channels) {
      throw new Error(`Input of layer '${this.name}' (${this.className}) must have ${channels} channels (last axis), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }

  protected buildDepthwise(inputShape: SymbolicShape): number {
    this.checkInput(inputShape);
    const channels = inputShape[3];
    if (channels === null) throw new Error(`Layer '${this.name}' (${this.className}): the channel axis of the input must be known, received ${formatSymbolic(inputShape)}`);
    this.depthwiseKernel = this.addWeight('depthwise_kernel', [this.kernelSize[0], this.kernelSize[1], channels, this.depthMultiplier], this.depthwiseInitializer);
    return channels;
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkInput(inputShape);
    const size = (d: number | null, axis: 0 | 1): number | null =>
      d === null ? null : outputLength(d, this.kernelSize[axis], this.strides[axis], this.dilationRate[axis], this.padding).out;
    const h = size(inputShape[1], 0);
    const w = size(inputShape[2], 1);
    if ((h !== null && h <= 0) || (w !== null && w <= 0)) {
      throw new Error(`Layer '${this.name}' (${this.className}): a ${this.kernelSize.join('x')} kernel does not fit input ${formatSymbolic(inputShape)} with padding '${this.padding}'`);
    }
    return [inputShape[0], h, w, this.outChannelsFor(inputShape[3])];
  }

  protected abstract outChannelsFor(inChannels: number | null): number | null;

  protected depthwise(x: Tensor): Tensor {
    return depthwiseConv2d(x, this.depthwiseKernel!.value, { strides: this.strides, padding: this.padding, dilations: this.dilationRate });
  }

  protected finish(y: Tensor): Tensor {
    return getActivation(this.activation)(this.bias ? biasAdd(y, this.bias.value) : y);
  }

  protected baseConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: 'channelsLast',
      dilationRate: this.dilationRate,
      activation: this.activation,
      useBias: this.useBias,
      biasInitializer: serializeInitializer(this.biasInitializer),
      biasRegularizer: null,
      activityRegularizer: null,
      biasConstraint: null,
      depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: serializeInitializer(this.depthwiseInitializer),
      depthwiseRegularizer: null,
      depthwiseConstraint: null,
    };
  }
}

/** Keras's DepthwiseConv2D: kernel [kh, kw, channels, depthMultiplier], output channels·multiplier. */
export class DepthwiseConv2D extends DepthwiseBase {
  readonly className = 'DepthwiseConv2D';
  constructor(args: DepthwiseConv2DArgs) {
    super(args, 'DepthwiseConv2D');
  }
  protected outChannelsFor(c: number | null): number | null {
    return c === null ? null : c * this.depthMultiplier;
  }
  override build(inputShape: SymbolicShape): void {
    const channels = this.buildDepthwise(inputShape);
    if (this.useBias) this.bias = this.addWeight('bias', [channels * this.depthMultiplier], this.biasInitializer);
    super.build(inputShape);
  }
  call(x: Tensor): Tensor {
    return this.finish(this.depthwise(x));
  }
  override getConfig(): Record<string, unknown> {
    return this.baseConfig();
  }
}

/** Keras's SeparableConv2D: a depthwise convolution, then a 1x1 convolution to `filters` channels. */
export class SeparableConv2D extends DepthwiseBase {
  readonly className = 'SeparableConv2D';
  readonly filters: number;
  readonly pointwiseInitializer: Initializer;
  pointwiseKernel: LayerVariable | null = null;
  constructor(args: SeparableConv2DArgs) {
    super(args, 'SeparableConv2D');
    if (!Number.isInteger(args.filters) || args.filters <= 0) {
      throw new Error(`SeparableConv2D '${this.name}': filters must be a positive integer, received ${JSON.stringify(args.filters)}`);
    }
    this.filters = args.filters;
    this.pointwiseInitializer = getInitializer(args.pointwiseInitializer, 'glorotUniform');
  }
  protected outChannelsFor(): number {
    return this.filters;
  }
  override build(inputShape: SymbolicShape): void {
    const channels = this.buildDepthwise(inputShape);
    this.pointwiseKernel = this.addWeight('pointwise_kernel', [1, 1, channels * this.depthMultiplier, this.filters], this.pointwiseInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer);
    super.build(inputShape);
  }
  call(x: Tensor): Tensor {
    return this.finish(conv2d(this.depthwise(x), this.pointwiseKernel!.value));
  }
  override getConfig(): Record<string, unknown> {
    return { ...this.baseConfig(), filters: this.filters, pointwiseInitializer: serializeInitializer(this.pointwiseInitializer), pointwiseRegularizer: null, pointwiseConstraint: null };
  }
}
