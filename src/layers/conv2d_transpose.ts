import { biasAdd } from '../ops/nn.js';
import { conv2dTranspose, deconvLength, normalizeOutputPadding } from '../ops/conv_transpose.js';
import { normalizePadding, normalizePair, type Padding } from '../ops/conv_util.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, normalizeActivation, type ActivationName } from './activations.js';
import { kernelLayerConfig } from './core.js';
import { getInitializer, type Initializer } from './initializers.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

export interface Conv2DTransposeArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  dataFormat?: 'channelsLast';
  /** Dilation of the kernel; with strides 1 only (as in Keras and TensorFlow). */
  dilationRate?: number | [number, number];
  /**
   * null (Keras's default): the output size follows from strides and padding. Otherwise the
   * extra rows and columns at the end, each below its stride: the output is
   * (in - 1) * stride + dilated kernel - 2 * pad + outputPadding (pad = dilated kernel / 2 for 'same').
   */
  outputPadding?: number | [number, number] | null;
  activation?: string | null;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
}

/** Keras's Conv2DTranspose (a "deconvolution"), kernel [kh, kw, filters, inChannels]. */
export class Conv2DTranspose extends Layer {
  readonly className = 'Conv2DTranspose';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly outputPadding: [number, number] | null;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: Conv2DTransposeArgs) {
    super(args, 'Conv2DTranspose');
    const what = `Conv2DTranspose '${this.name}'`;
    if (!Number.isInteger(args.filters) || args.filters <= 0) throw new Error(`${what}: filters must be a positive integer, received ${JSON.stringify(args.filters)}`);
    if (args.dataFormat !== undefined && args.dataFormat !== null && args.dataFormat !== 'channelsLast') {
      throw new Error(`${what}: only dataFormat 'channelsLast' (NHWC) is supported, received ${JSON.stringify(args.dataFormat)}`);
    }
    this.filters = args.filters;
    this.kernelSize = normalizePair(args.kernelSize, `${what}: kernelSize`);
    this.strides = normalizePair(args.strides ?? 1, `${what}: strides`);
    this.dilationRate = normalizePair(args.dilationRate ?? 1, `${what}: dilationRate`);
    if (this.dilationRate.some((d) => d > 1) && this.strides.some((d) => d > 1)) {
      throw new Error(`${what}: dilationRate ${JSON.stringify(args.dilationRate)} with strides ${JSON.stringify(args.strides)}: strides other than 1 and dilation other than 1 cannot be combined (as in Keras)`);
    }
    this.outputPadding = normalizeOutputPadding(args.outputPadding, this.strides, what);
    this.padding = normalizePadding(args.padding ?? 'valid');
    this.activation = normalizeActivation(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros');
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length !== 4) {
      throw new Error(`Input of layer '${this.name}' (Conv2DTranspose) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
    const channels = this.kernel?.shape[3];
    if (channels !== undefined && shape[3] !== channels) {
      throw new Error(`Input of layer '${this.name}' (Conv2DTranspose) must have ${channels} channels (last axis), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }

  override build(inputShape: SymbolicShape): void {
    this.checkInput(inputShape);
    const channels = inputShape[3];
    if (channels === null) throw new Error(`Layer '${this.name}' (Conv2DTranspose): the channel axis of the input must be known, received ${formatSymbolic(inputShape)}`);
    this.kernel = this.addWeight('kernel', [this.kernelSize[0], this.kernelSize[1], this.filters, channels], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer);
    super.build(inputShape);
  }

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    const size = (d: number | null, axis: 0 | 1): number | null => (d === null ? null : deconvLength(d, this.kernelSize[axis], this.strides[axis], this.dilationRate[axis], this.padding, this.outputPadding?.[axis] ?? null));
    return [s[0], size(s[1], 0), size(s[2], 1), this.filters];
  }

  call(x: Tensor): Tensor {
    const y = conv2dTranspose(x, this.kernel!.value, { strides: this.strides, padding: this.padding, dilations: this.dilationRate, outputPadding: this.outputPadding });
    return getActivation(this.activation)(this.bias ? biasAdd(y, this.bias.value) : y);
  }

  override getConfig(): Record<string, unknown> {
    // As TF.js writes it (Conv2D's keys without dilationRate), plus Keras's dilation_rate and
    // output_padding when they are not the defaults TF.js assumes.
    const dilated = this.dilationRate[0] !== 1 || this.dilationRate[1] !== 1;
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: 'channelsLast',
      ...(dilated ? { dilationRate: this.dilationRate } : {}),
      ...(this.outputPadding ? { outputPadding: this.outputPadding } : {}),
      ...kernelLayerConfig(this),
    };
  }
}
