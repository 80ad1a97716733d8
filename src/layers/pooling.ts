import { avgPool, maxPool } from '../ops/nn.js';
import { mean } from '../ops/arithmetic.js';
import { normalizePadding, normalizePair, outputLength, type Padding } from '../ops/conv_util.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';

export interface Pooling2DArgs extends LayerArgs {
  poolSize?: number | [number, number];
  /** Defaults to poolSize, as in Keras. */
  strides?: number | [number, number] | null;
  padding?: Padding;
  dataFormat?: 'channelsLast';
}

function checkRank4(layer: Layer, shape: readonly (number | null)[]): void {
  if (shape.length !== 4) {
    throw new Error(`Input of layer '${layer.name}' (${layer.className}) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
  }
}

abstract class Pooling2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(args: Pooling2DArgs, className: string) {
    super(args, className);
    this.poolSize = normalizePair(args.poolSize ?? 2, `${className} '${this.name}': poolSize`);
    this.strides = normalizePair(args.strides ?? this.poolSize, `${className} '${this.name}': strides`);
    this.padding = normalizePadding(args.padding ?? 'valid');
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    checkRank4(this, shape);
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkInput(inputShape);
    const size = (d: number | null, axis: 0 | 1): number | null =>
      d === null ? null : outputLength(d, this.poolSize[axis], this.strides[axis], 1, this.padding).out;
    const h = size(inputShape[1], 0);
    const w = size(inputShape[2], 1);
    if ((h !== null && h <= 0) || (w !== null && w <= 0)) {
      throw new Error(`Layer '${this.name}' (${this.className}): a ${this.poolSize.join('x')} pool does not fit input ${formatSymbolic(inputShape)} with padding '${this.padding}'`);
    }
    return [inputShape[0], h, w, inputShape[3]];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: this.poolSize, padding: this.padding, strides: this.strides, dataFormat: 'channelsLast' };
  }
}

export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super(args, 'MaxPooling2D');
  }
  call(x: Tensor): Tensor {
    return maxPool(x, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }
}

export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';
  constructor(args: Pooling2DArgs = {}) {
    super(args, 'AveragePooling2D');
  }
  call(x: Tensor): Tensor {
    return avgPool(x, { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }
}

export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  constructor(args: LayerArgs & { dataFormat?: 'channelsLast' } = {}) {
    super(args, 'GlobalAveragePooling2D');
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkRank4(this, shape);
  }
  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkInput(inputShape);
    return [inputShape[0], inputShape[3]];
  }
  call(x: Tensor): Tensor {
    return mean(x, [1, 2]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: 'channelsLast' };
  }
}
