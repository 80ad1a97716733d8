import { add, mul } from '../ops/arithmetic.js';
import { allocateFloat, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { Random, globalRandom } from '../utils/random.js';
import { Layer, formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';

/** Regularisation layers active only in training: SpatialDropout2D and GaussianNoise. */

function rngFor(seed: number | undefined | null): Random {
  return seed === undefined || seed === null ? globalRandom : new Random(seed);
}

/**
 * Drops whole feature maps: one keep/drop draw per sample and channel, shared by every pixel,
 * kept maps scaled by 1 / (1 - rate) (Keras's SpatialDropout2D, channels-last).
 */
export class SpatialDropout2D extends Layer {
  readonly className = 'SpatialDropout2D';
  readonly rate: number;
  readonly seed: number | null;
  private readonly rng: Random;
  constructor(args: LayerArgs & { rate: number; seed?: number; dataFormat?: 'channelsLast' }) {
    super(args, 'SpatialDropout2D');
    if (!(args.rate >= 0 && args.rate < 1)) throw new Error(`SpatialDropout2D '${this.name}': rate must be in [0, 1), received ${JSON.stringify(args.rate)}`);
    if (args.dataFormat !== undefined && args.dataFormat !== null && args.dataFormat !== 'channelsLast') {
      throw new Error(`SpatialDropout2D '${this.name}': only dataFormat 'channelsLast' is supported, received ${JSON.stringify(args.dataFormat)}`);
    }
    this.rate = args.rate;
    this.seed = args.seed ?? null;
    this.rng = rngFor(args.seed);
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length !== 4) throw new Error(`Input of layer '${this.name}' (SpatialDropout2D) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    return s;
  }
  call(x: Tensor, training: boolean): Tensor {
    if (!training || this.rate === 0) return x;
    const [n, , , c] = x.shape;
    const keep = 1 / (1 - this.rate);
    const mask = allocateFloat(x.dtype as FloatDType, n * c);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.next() >= this.rate ? keep : 0;
    return mul(x, new Tensor(mask, [n, 1, 1, c]));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, seed: this.seed, dataFormat: 'channelsLast' };
  }
}

/** Adds zero-mean Gaussian noise of the given standard deviation in training. */
export class GaussianNoise extends Layer {
  readonly className = 'GaussianNoise';
  readonly stddev: number;
  readonly seed: number | null;
  private readonly rng: Random;
  constructor(args: LayerArgs & { stddev: number; seed?: number }) {
    super(args, 'GaussianNoise');
    if (!(typeof args.stddev === 'number' && Number.isFinite(args.stddev) && args.stddev >= 0)) {
      throw new Error(`GaussianNoise '${this.name}': stddev must be a finite number >= 0, received ${JSON.stringify(args.stddev)}`);
    }
    this.stddev = args.stddev;
    this.seed = args.seed ?? null;
    this.rng = rngFor(args.seed);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    return s;
  }
  call(x: Tensor, training: boolean): Tensor {
    if (!training || this.stddev === 0) return x;
    const noise = allocateFloat(x.dtype as FloatDType, x.size);
    for (let i = 0; i < noise.length; i++) noise[i] = this.rng.normal(0, this.stddev);
    return add(x, new Tensor(noise, x.shape));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev, seed: this.seed };
  }
}
