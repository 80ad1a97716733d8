import { mul, reshape, add } from '../ops/arithmetic.js';
import { biasAdd, matMul } from '../ops/nn.js';
import { allocateFloat, type FloatDType } from '../tensor/dtype.js';
import { Tensor, scalar } from '../tensor/tensor.js';
import { Random, globalRandom } from '../utils/random.js';
import { getActivation, normalizeActivation, type ActivationName } from './activations.js';
import { getInitializer, serializeInitializer, type Initializer } from './initializers.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: string | null;
  useBias?: boolean;
  kernelInitializer?: string | Initializer;
  biasInitializer?: string | Initializer;
  /** Keras's input_dim: shorthand for inputShape [inputDim]. */
  inputDim?: number;
}

/** The config keys Dense and Conv2D share, as TF.js writes them (no regularizers or constraints yet). */
export function kernelLayerConfig(layer: { activation: ActivationName; useBias: boolean; kernelInitializer: Initializer; biasInitializer: Initializer }): Record<string, unknown> {
  return {
    activation: layer.activation,
    useBias: layer.useBias,
    kernelInitializer: serializeInitializer(layer.kernelInitializer),
    biasInitializer: serializeInitializer(layer.biasInitializer),
    kernelRegularizer: null,
    biasRegularizer: null,
    activityRegularizer: null,
    kernelConstraint: null,
    biasConstraint: null,
  };
}

/** Fully connected layer on the last axis: y = activation(x · kernel + bias). */
export class Dense extends Layer {
  readonly className = 'Dense';
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  kernel: LayerVariable | null = null;
  bias: LayerVariable | null = null;

  constructor(args: DenseArgs) {
    super(args.inputDim !== undefined && !args.inputShape ? { ...args, inputShape: [args.inputDim] } : args, 'Dense');
    if (!Number.isInteger(args.units) || args.units <= 0) {
      throw new Error(`Dense '${this.name}': units must be a positive integer, received ${JSON.stringify(args.units)}`);
    }
    this.units = args.units;
    this.activation = normalizeActivation(args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = getInitializer(args.kernelInitializer, 'glorotUniform');
    this.biasInitializer = getInitializer(args.biasInitializer, 'zeros');
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length < 2) {
      throw new Error(`Input of layer '${this.name}' (Dense) must have rank >= 2, received shape ${formatSymbolic(shape)}`);
    }
    const features = this.kernel?.shape[0];
    if (features !== undefined && shape[shape.length - 1] !== features) {
      throw new Error(`Input of layer '${this.name}' (Dense) must have ${features} features on its last axis, received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }

  override build(inputShape: SymbolicShape): void {
    this.checkInput(inputShape);
    const features = inputShape[inputShape.length - 1];
    if (features === null) throw new Error(`Layer '${this.name}' (Dense): the last axis of the input must be known, received ${formatSymbolic(inputShape)}`);
    this.kernel = this.addWeight('kernel', [features, this.units], this.kernelInitializer);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInitializer);
    super.build(inputShape);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkInput(inputShape);
    return [...inputShape.slice(0, -1), this.units];
  }

  /** x · kernel + bias; with 'relu', the activation too, in the bias kernel. */
  callLinear(x: Tensor, withActivation?: 'relu'): Tensor {
    const features = x.shape[x.rank - 1];
    const flat = x.rank === 2 ? x : reshape(x, [-1, features]);
    let y = matMul(flat, this.kernel!.value);
    if (this.bias) y = biasAdd(y, this.bias.value, withActivation);
    return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), this.units]);
  }

  call(x: Tensor): Tensor {
    if (this.activation === 'relu' && this.bias) return this.callLinear(x, 'relu');
    return getActivation(this.activation)(this.callLinear(x));
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      ...kernelLayerConfig(this),
    };
  }
}

/** Flattens every axis but the batch axis. */
export class Flatten extends Layer {
  readonly className = 'Flatten';
  constructor(args: LayerArgs & { dataFormat?: 'channelsLast' } = {}) {
    super(args, 'Flatten');
  }
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    const rest = inputShape.slice(1);
    return [inputShape[0], rest.some((d) => d === null) ? null : rest.reduce<number>((p, d) => p * (d as number), 1)];
  }
  call(x: Tensor): Tensor {
    return reshape(x, [x.shape[0], x.shape.slice(1).reduce((p, d) => p * d, 1)]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: 'channelsLast' };
  }
}

export interface DropoutArgs extends LayerArgs {
  rate: number;
  seed?: number;
}

/** Inverted dropout: active only in training, scaling kept units by 1 / (1 - rate). */
export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly rate: number;
  readonly seed: number | null;
  private readonly rng: Random;

  constructor(args: DropoutArgs) {
    super(args, 'Dropout');
    if (!(args.rate >= 0 && args.rate < 1)) {
      throw new Error(`Dropout '${this.name}': rate must be in [0, 1), received ${JSON.stringify(args.rate)}`);
    }
    this.rate = args.rate;
    this.seed = args.seed ?? null;
    this.rng = args.seed === undefined ? globalRandom : new Random(args.seed);
  }
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }
  call(x: Tensor, training: boolean): Tensor {
    if (!training || this.rate === 0) return x;
    const keep = 1 / (1 - this.rate);
    const mask = allocateFloat(x.dtype as FloatDType, x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.next() >= this.rate ? keep : 0;
    return mul(x, new Tensor(mask, x.shape));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: null, seed: this.seed };
  }
}

/** Applies an activation function as a layer of its own. */
export class Activation extends Layer {
  readonly className = 'Activation';
  readonly activation: ActivationName;
  constructor(args: LayerArgs & { activation: string }) {
    super(args, 'Activation');
    this.activation = normalizeActivation(args.activation);
  }
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }
  callLinear(x: Tensor): Tensor {
    return x;
  }
  call(x: Tensor): Tensor {
    return getActivation(this.activation)(x);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: this.activation };
  }
}

/** y = x * scale + offset, e.g. scale 1/255 to feed raw pixels. */
export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly scale: number;
  readonly offset: number;
  constructor(args: LayerArgs & { scale: number; offset?: number }) {
    super(args, 'Rescaling');
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }
  call(x: Tensor): Tensor {
    const scaled = mul(x, scalar(this.scale, x.dtype));
    return this.offset === 0 ? scaled : add(scaled, scalar(this.offset, x.dtype));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}
