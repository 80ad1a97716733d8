import { biasAdd, conv2d } from '../ops/nn.js';
import { conv2dMaxPool } from '../ops/conv_pool.js';
import type { MaxPooling2D } from './pooling.js';
import { normalizePadding, normalizePair, outputLength, type Padding } from '../ops/conv_util.js';
import type { Tensor } from '../tensor/tensor.js';
import { getActivation, normalizeActivation, type ActivationName } from './activations.js';
import { getInitializer, type Initializer } from './initializers.js';
import { kernelLayerConfig } from './core.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  dataFormat?: 'channelsLast';
  dilationRate?: number | [number, number];
  activation?: string | null;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
}

/** Keras's Conv2D over channels-last input, with an HWIO kernel. */
export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: Conv2DArgs) {
    super(args, 'Conv2D');
    if (!Number.isInteger(args.filters) || args.filters <= 0) {
      throw new Error(`Conv2D '${this.name}': filters must be a positive integer, received ${JSON.stringify(args.filters)}`);
    }
    if (args.dataFormat !== undefined && args.dataFormat !== 'channelsLast') {
      throw new Error(`Conv2D '${this.name}': only dataFormat 'channelsLast' (NHWC) is supported, received ${JSON.stringify(args.dataFormat)}`);
    }
    this.filters = args.filters;
    this.kernelSize = normalizePair(args.kernelSize, `Conv2D '${this.name}': kernelSize`);
    this.strides = normalizePair(args.strides ?? 1, `Conv2D '${this.name}': strides`);
    this.padding = normalizePadding(args.padding ?? 'valid');
    this.dilationRate = normalizePair(args.dilationRate ?? 1, `Conv2D '${this.name}': dilationRate`);
    this.activation = normalizeActivation(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros');
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length !== 4) {
      throw new Error(`Input of layer '${this.name}' (Conv2D) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
    const channels = this.kernel?.shape[2];
    if (channels !== undefined && shape[3] !== channels) {
      throw new Error(`Input of layer '${this.name}' (Conv2D) must have ${channels} channels (last axis), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }

  override build(inputShape: SymbolicShape): void {
    this.checkInput(inputShape);
    const channels = inputShape[3];
    if (channels === null) throw new Error(`Layer '${this.name}' (Conv2D): the channel axis of the input must be known, received ${formatSymbolic(inputShape)}`);
    this.kernel = this.addWeight('kernel', [this.kernelSize[0], this.kernelSize[1], channels, this.filters], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInitializer);
    super.build(inputShape);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkInput(inputShape);
    const size = (d: number | null, axis: 0 | 1): number | null => {
      if (d === null) return null;
      return outputLength(d, this.kernelSize[axis], this.strides[axis], this.dilationRate[axis], this.padding).out;
    };
    const h = size(inputShape[1], 0);
    const w = size(inputShape[2], 1);
    if ((h !== null && h <= 0) || (w !== null && w <= 0)) {
      throw new Error(`Layer '${this.name}' (Conv2D): a ${this.kernelSize.join('x')} kernel does not fit input ${formatSymbolic(inputShape)} with padding '${this.padding}'`);
    }
    return [inputShape[0], h, w, this.filters];
  }

  /** The output before the activation (used by fused softmax cross-entropy); with 'relu', after it, in the bias kernel. */
  callLinear(x: Tensor, withActivation?: 'relu'): Tensor {
    const y = conv2d(x, this.kernel!.value, { strides: this.strides, padding: this.padding, dilations: this.dilationRate });
    return this.bias ? biasAdd(y, this.bias.value, withActivation) : y;
  }

  call(x: Tensor): Tensor {
    if (this.activation === 'relu' && this.bias) return this.callLinear(x, 'relu');
    return getActivation(this.activation)(this.callLinear(x));
  }

  /**
   * pool.apply(this.apply(x)) in inference, as one kernel that writes only the pooled output
   * (src/ops/conv_pool.ts), for a linear or ReLU activation (src/layers/fused_relu.ts).
   */
  applyMaxPool(x: Tensor, pool: MaxPooling2D): Tensor {
    this.validateInput(x.shape);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    if (this.activation !== 'relu' && this.activation !== 'linear') return pool.apply(this.call(x), false);
    const convShape = this.computeOutputShape([null, ...x.shape.slice(1)]);
    pool.validateInput(convShape);
    if (!pool.built) pool.build(convShape);
    return conv2dMaxPool(x, this.kernel!.value, this.bias?.value ?? null,
      { strides: this.strides, padding: this.padding, dilations: this.dilationRate },
      { poolSize: pool.poolSize, strides: pool.strides, padding: pool.padding }, this.activation === 'relu');
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      padding: this.padding,
      dataFormat: 'channelsLast',
      dilationRate: this.dilationRate,
      ...kernelLayerConfig(this),
    };
  }
}
