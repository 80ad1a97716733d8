import { add, div, maximum, mean, mul, reshape, sqrt, sub } from '../ops/arithmetic.js';
import { slice } from '../ops/layout.js';
import { resizeImages, type Interpolation } from '../ops/resize.js';
import { noGrad } from '../autograd/tape.js';
import { Tensor, tensor } from '../tensor/tensor.js';
import { Layer, formatSymbolic, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';
import { Constant } from './initializers.js';

/** Keras's image preprocessing layers Resizing and CenterCrop, and the feature-wise Normalization. */

function checkImages(layer: Layer, shape: readonly (number | null)[]): void {
  if (shape.length !== 4) {
    throw new Error(`Input of layer '${layer.name}' (${layer.className}) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
  }
}

function positive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${what} must be a positive integer, received ${JSON.stringify(v)}`);
  return v;
}

export interface ResizingArgs extends LayerArgs {
  height: number;
  width: number;
  interpolation?: Interpolation;
  /** Crop the largest centred window of the target aspect ratio first, so nothing is stretched. */
  cropToAspectRatio?: boolean;
}

/** Resizes images to height x width as `tf.image.resize` does (half-pixel centres). */
export class Resizing extends Layer {
  readonly className = 'Resizing';
  readonly height: number;
  readonly width: number;
  readonly interpolation: Interpolation;
  readonly cropToAspectRatio: boolean;
  constructor(args: ResizingArgs) {
    super(args, 'Resizing');
    this.height = positive(args?.height, `Resizing '${this.name}': height`);
    this.width = positive(args.width, `Resizing '${this.name}': width`);
    const interpolation = args.interpolation ?? 'bilinear';
    if (interpolation !== 'bilinear' && interpolation !== 'nearest') throw new Error(`Resizing '${this.name}': interpolation must be 'bilinear' or 'nearest', received ${JSON.stringify(args.interpolation)}`);
    this.interpolation = interpolation;
    this.cropToAspectRatio = args.cropToAspectRatio ?? false;
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkImages(this, shape);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    return [s[0], this.height, this.width, s[3]];
  }
  call(x: Tensor): Tensor {
    let input = x;
    if (this.cropToAspectRatio) {
      const [n, h, w, c] = x.shape;
      const cropH = Math.min(h, Math.floor((w * this.height) / this.width));
      const cropW = Math.min(w, Math.floor((h * this.width) / this.height));
      input = slice(x, [0, Math.floor((h - cropH) / 2), Math.floor((w - cropW) / 2), 0], [n, cropH, cropW, c]);
    }
    return resizeImages(input, this.height, this.width, this.interpolation);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), height: this.height, width: this.width, interpolation: this.interpolation, cropToAspectRatio: this.cropToAspectRatio };
  }
}

/** Keeps the centred height x width window of each image. */
export class CenterCrop extends Layer {
  readonly className = 'CenterCrop';
  readonly height: number;
  readonly width: number;
  constructor(args: LayerArgs & { height: number; width: number }) {
    super(args, 'CenterCrop');
    this.height = positive(args?.height, `CenterCrop '${this.name}': height`);
    this.width = positive(args.width, `CenterCrop '${this.name}': width`);
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkImages(this, shape);
    if ((shape[1] !== null && shape[1] < this.height) || (shape[2] !== null && shape[2] < this.width)) {
      throw new Error(`Layer '${this.name}' (CenterCrop): input ${formatSymbolic([null, ...shape.slice(1)])} is smaller than the crop ${this.height}x${this.width}; convlab crops only (use Resizing to enlarge)`);
    }
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    return [s[0], this.height, this.width, s[3]];
  }
  call(x: Tensor): Tensor {
    const [n, h, w, c] = x.shape;
    return slice(x, [0, Math.floor((h - this.height) / 2), Math.floor((w - this.width) / 2), 0], [n, this.height, this.width, c]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}

export interface NormalizationArgs extends LayerArgs {
  /** The axes that keep their own mean and variance (default -1); null: one for everything. */
  axis?: number | number[] | null;
  /** Given together, they are fixed; otherwise they are weights set by adapt() or a loaded file. */
  mean?: number | number[] | null;
  variance?: number | number[] | null;
  /** Undo the normalisation instead: mean + x·sqrt(variance). */
  invert?: boolean;
}

const EPSILON = 1e-7;

/** (x - mean) / max(sqrt(variance), 1e-7), feature-wise, as Keras's Normalization. */
export class Normalization extends Layer {
  readonly className = 'Normalization';
  readonly axis: number[];
  readonly fixedMean: number[] | null;
  readonly fixedVariance: number[] | null;
  readonly invert: boolean;
  mean: LayerVariable | null = null;
  variance: LayerVariable | null = null;
  /** Keras keeps it "for backwards compatibility with older saved models"; so the weights line up. */
  count: LayerVariable | null = null;
  private keptShape: number[] = [];

  constructor(args: NormalizationArgs = {}) {
    super(args, 'Normalization');
    const axis = args.axis === undefined ? -1 : args.axis;
    this.axis = axis === null ? [] : Array.isArray(axis) ? [...axis] : [axis];
    if (!this.axis.every((a) => Number.isInteger(a))) throw new Error(`Normalization '${this.name}': axis must be an integer, a list of them or null, received ${JSON.stringify(args.axis)}`);
    const given = (v: unknown): v is number | number[] => v !== undefined && v !== null;
    if (given(args.mean) !== given(args.variance)) throw new Error(`Normalization '${this.name}': give both mean and variance, or neither (and call adapt())`);
    const list = (v: number | number[]): number[] => (Array.isArray(v) ? [...v] : [v]);
    this.fixedMean = given(args.mean) ? list(args.mean) : null;
    this.fixedVariance = given(args.variance) ? list(args.variance as number | number[]) : null;
    if (this.fixedVariance?.some((v) => !(v >= 0))) throw new Error(`Normalization '${this.name}': variance must be >= 0, received ${JSON.stringify(args.variance)}`);
    this.invert = args.invert ?? false;
  }

  private keptAxes(rank: number): number[] {
    return this.axis.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  }

  override build(inputShape: SymbolicShape): void {
    const axes = this.keptAxes(inputShape.length);
    if (axes.some((a) => a <= 0 || a >= inputShape.length)) throw new Error(`Layer '${this.name}' (Normalization): axis ${JSON.stringify(this.axis)} is invalid for input ${formatSymbolic(inputShape)}`);
    const kept = axes.map((a) => inputShape[a]);
    if (kept.some((d) => d === null)) throw new Error(`Layer '${this.name}' (Normalization): the kept axes must have known sizes, received ${formatSymbolic(inputShape)}`);
    this.keptShape = kept as number[];
    const size = this.keptShape.reduce((p, d) => p * d, 1);
    for (const [what, v] of [['mean', this.fixedMean], ['variance', this.fixedVariance]] as const) {
      if (v && v.length !== 1 && v.length !== size) throw new Error(`Layer '${this.name}' (Normalization): ${what} has ${v.length} values, expected 1 or ${size} (the kept axes ${JSON.stringify(this.keptShape)})`);
    }
    if (!this.fixedMean) {
      this.mean = this.addWeight('mean', this.keptShape, new Constant(0), false);
      this.variance = this.addWeight('variance', this.keptShape, new Constant(1), false);
      this.count = this.addWeight('count', [], new Constant(0), false);
    }
    super.build(inputShape);
  }

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    return s;
  }

  /** Sets the mean and variance from data, as Keras's adapt() (biased variance). */
  adapt(data: Tensor): void {
    if (this.fixedMean) throw new Error(`Layer '${this.name}' (Normalization): mean and variance were given, adapt() cannot change them`);
    if (!this.built) this.build([null, ...data.shape.slice(1)]);
    noGrad(() => {
      const axes = this.keptAxes(data.rank);
      const reduce = data.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const m = mean(data, reduce, true);
      const v = mean(mul(sub(data, m), sub(data, m)), reduce, true);
      this.mean!.assign(new Tensor(m.data.slice(), this.keptShape));
      this.variance!.assign(new Tensor(v.data.slice(), this.keptShape));
      this.count!.assign(new Tensor(Float64Array.of(data.size / m.size), []));
    });
  }

  private statistic(fixed: number[] | null, weight: LayerVariable | null, x: Tensor): Tensor {
    const axes = this.keptAxes(x.rank);
    const shape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
    if (fixed) return fixed.length === 1 ? tensor(fixed, [], x.dtype) : tensor(fixed, shape, x.dtype);
    return reshape(weight!.value, shape);
  }

  call(x: Tensor): Tensor {
    const m = this.statistic(this.fixedMean, this.mean, x);
    const std = maximum(sqrt(this.statistic(this.fixedVariance, this.variance, x)), EPSILON);
    return this.invert ? add(m, mul(x, std)) : div(sub(x, m), std);
  }

  override getConfig(): Record<string, unknown> {
    const axis = this.axis.length === 0 ? null : this.axis.length === 1 ? this.axis[0] : this.axis;
    const scalarOrList = (v: number[] | null): number | number[] | null => (v === null ? null : v.length === 1 ? v[0] : v);
    return { ...super.getConfig(), axis, mean: scalarOrList(this.fixedMean), variance: scalarOrList(this.fixedVariance), invert: this.invert };
  }
}
