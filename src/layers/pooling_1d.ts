import { mean, reshape } from '../ops/arithmetic.js';
import { avgPool, maxPool } from '../ops/nn.js';
import { normalizePadding, outputLength, type Padding } from '../ops/conv_util.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRank3, single } from './conv1d.js';
import { Layer, formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';

/**
 * 1-D pooling over [batch, steps, channels], and global max pooling of images. Each runs as a
 * 2-D pooling of a [batch, steps, 1, channels] view, on the backends' pooling kernels.
 */

export interface Pooling1DArgs extends LayerArgs {
  poolSize?: number | [number];
  /** Defaults to poolSize, as in Keras. */
  strides?: number | [number] | null;
  padding?: Padding;
}

abstract class Pooling1D extends Layer {
  readonly poolSize: number;
  readonly strides: number;
  readonly padding: Padding;
  constructor(args: Pooling1DArgs, className: string) {
    super(args, className);
    this.poolSize = single(args.poolSize ?? 2, `${className} '${this.name}': poolSize`);
    this.strides = single(args.strides ?? this.poolSize, `${className} '${this.name}': strides`);
    this.padding = normalizePadding(args.padding ?? 'valid');
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkRank3(this, shape);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    const steps = s[1] === null ? null : outputLength(s[1], this.poolSize, this.strides, 1, this.padding).out;
    if (steps !== null && steps <= 0) throw new Error(`Layer '${this.name}' (${this.className}): a pool of ${this.poolSize} does not fit input ${formatSymbolic(s)} with padding '${this.padding}'`);
    return [s[0], steps, s[2]];
  }
  protected pool(x: Tensor, op: typeof maxPool): Tensor {
    const [n, steps, c] = x.shape;
    const y = op(reshape(x, [n, steps, 1, c]), { poolSize: [this.poolSize, 1], strides: [this.strides, 1], padding: this.padding });
    return reshape(y, [n, y.shape[1], c]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: [this.poolSize], padding: this.padding, strides: [this.strides] };
  }
}

export class MaxPooling1D extends Pooling1D {
  readonly className = 'MaxPooling1D';
  constructor(args: Pooling1DArgs = {}) {
    super(args, 'MaxPooling1D');
  }
  call(x: Tensor): Tensor {
    return this.pool(x, maxPool);
  }
}

export class AveragePooling1D extends Pooling1D {
  readonly className = 'AveragePooling1D';
  constructor(args: Pooling1DArgs = {}) {
    super(args, 'AveragePooling1D');
  }
  call(x: Tensor): Tensor {
    return this.pool(x, avgPool);
  }
}

export class GlobalAveragePooling1D extends Layer {
  readonly className = 'GlobalAveragePooling1D';
  constructor(args: LayerArgs & { dataFormat?: 'channelsLast' } = {}) {
    super(args, 'GlobalAveragePooling1D');
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkRank3(this, shape);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    return [s[0], s[2]];
  }
  call(x: Tensor): Tensor {
    return mean(x, 1);
  }
}

export class GlobalMaxPooling1D extends Layer {
  readonly className = 'GlobalMaxPooling1D';
  constructor(args: LayerArgs & { dataFormat?: 'channelsLast' } = {}) {
    super(args, 'GlobalMaxPooling1D');
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkRank3(this, shape);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    return [s[0], s[2]];
  }
  call(x: Tensor): Tensor {
    const [n, steps, c] = x.shape;
    return reshape(maxPool(reshape(x, [n, steps, 1, c]), { poolSize: [steps, 1] }), [n, c]);
  }
}

export class GlobalMaxPooling2D extends Layer {
  readonly className = 'GlobalMaxPooling2D';
  constructor(args: LayerArgs & { dataFormat?: 'channelsLast' } = {}) {
    super(args, 'GlobalMaxPooling2D');
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length !== 4) {
      throw new Error(`Input of layer '${this.name}' (GlobalMaxPooling2D) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    return [s[0], s[3]];
  }
  call(x: Tensor): Tensor {
    const [n, h, w, c] = x.shape;
    return reshape(maxPool(x, { poolSize: [h, w] }), [n, c]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dataFormat: 'channelsLast' };
  }
}
