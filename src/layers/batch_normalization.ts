import { batchNormInference, batchNormTraining, updateMovingAverage } from '../ops/batchnorm.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchNormReluMaxPool } from '../ops/batchnorm_pool.js';
import type { MaxPooling2D } from './pooling.js';
import { getInitializer, serializeInitializer, type Initializer } from './initializers.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

export interface BatchNormalizationArgs extends LayerArgs {
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  betaInitializer?: string | Initializer;
  gammaInitializer?: string | Initializer;
  movingMeanInitializer?: string | Initializer;
  movingVarianceInitializer?: string | Initializer;
}

/**
 * Keras's BatchNormalization on the last axis: batch statistics in training (and an update of
 * the moving averages), moving statistics in inference.
 */
export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly initializers: Record<'beta' | 'gamma' | 'movingMean' | 'movingVariance', Initializer>;
  gamma: LayerVariable | null = null;
  beta: LayerVariable | null = null;
  movingMean: LayerVariable | null = null;
  movingVariance: LayerVariable | null = null;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args, 'BatchNormalization');
    this.axis = args.axis ?? -1;
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.initializers = {
      beta: getInitializer(args.betaInitializer, 'zeros'),
      gamma: getInitializer(args.gammaInitializer, 'ones'),
      movingMean: getInitializer(args.movingMeanInitializer, 'zeros'),
      movingVariance: getInitializer(args.movingVarianceInitializer, 'ones'),
    };
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    const axis = this.axis < 0 ? shape.length + this.axis : this.axis;
    if (axis !== shape.length - 1) {
      throw new Error(`Layer '${this.name}' (BatchNormalization): only the last axis is supported, received axis ${this.axis} for input ${formatSymbolic(shape)}`);
    }
  }

  override build(inputShape: SymbolicShape): void {
    this.checkInput(inputShape);
    const channels = inputShape[inputShape.length - 1];
    if (channels === null) throw new Error(`Layer '${this.name}' (BatchNormalization): the last axis must be known, received ${formatSymbolic(inputShape)}`);
    if (this.scale) this.gamma = this.addWeight('gamma', [channels], this.initializers.gamma);
    if (this.center) this.beta = this.addWeight('beta', [channels], this.initializers.beta);
    this.movingMean = this.addWeight('moving_mean', [channels], this.initializers.movingMean, false);
    this.movingVariance = this.addWeight('moving_variance', [channels], this.initializers.movingVariance, false);
    super.build(inputShape);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(x: Tensor, training: boolean): Tensor {
    return this.normalize(x, training);
  }

  /**
   * relu(this.apply(x, training)) with the ReLU fused into the batch-norm kernels (one pass
   * fewer forward, three fewer backward): for a model whose next layer is a plain ReLU
   * (src/layers/fused_relu.ts).
   */
  applyRelu(x: Tensor, training = false): Tensor {
    this.validateInput(x.shape);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    return this.normalize(x, training, 'relu');
  }

  /**
   * pool.apply(relu(this.apply(x, training))), in training mode as one op whose kernels never
   * write the full-size ReLU output (src/ops/batchnorm_pool.ts): for a model whose next layers are
   * a plain ReLU and a max pooling (src/layers/fused_relu.ts).
   */
  applyReluMaxPool(x: Tensor, training: boolean, pool: MaxPooling2D): Tensor {
    this.validateInput(x.shape);
    if (!this.built) this.build([null, ...x.shape.slice(1)]);
    if (!training || !this.trainable || x.rank !== 4) return pool.apply(this.normalize(x, training, 'relu'), training);
    pool.validateInput(x.shape);
    if (!pool.built) pool.build([null, ...x.shape.slice(1)]);
    return this.normalize(x, training, 'relu', pool);
  }

  private normalize(x: Tensor, training: boolean, activation?: 'relu', pool?: MaxPooling2D): Tensor {
    const gamma = this.gamma?.value ?? null;
    const beta = this.beta?.value ?? null;
    // As Keras 3: a frozen BatchNormalization (trainable = false) runs in inference mode, so
    // fine-tuning a frozen base neither uses batch statistics nor moves its averages.
    if (!training || !this.trainable) return batchNormInference(x, this.movingMean!.value, this.movingVariance!.value, gamma, beta, this.epsilon, activation);
    const { y, mean, variance } = pool
      ? batchNormReluMaxPool(x, gamma, beta, this.epsilon, { poolSize: pool.poolSize, strides: pool.strides, padding: pool.padding })
      : batchNormTraining(x, gamma, beta, this.epsilon, activation);
    // As Keras 2 and 3 (and TF.js): the moving variance follows the biased batch variance.
    updateMovingAverage(this.movingMean!.value, mean, this.momentum);
    updateMovingAverage(this.movingVariance!.value, variance, this.momentum);
    return y;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: serializeInitializer(this.initializers.beta),
      gammaInitializer: serializeInitializer(this.initializers.gamma),
      movingMeanInitializer: serializeInitializer(this.initializers.movingMean),
      movingVarianceInitializer: serializeInitializer(this.initializers.movingVariance),
      betaRegularizer: null,
      gammaRegularizer: null,
      betaConstraint: null,
      gammaConstraint: null,
    };
  }
}
