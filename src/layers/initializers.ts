import { getFloatX, allocateFloat, type FloatDType } from '../tensor/dtype.js';
import { sizeOf } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Random, globalRandom } from '../utils/random.js';

/** Creates a tensor of the requested shape; seeded initialisers are reproducible on their own. */
export interface Initializer {
  readonly className: string;
  init(shape: readonly number[], dtype?: FloatDType): Tensor;
  getConfig(): Record<string, unknown>;
}

/** fan_in and fan_out as Keras computes them: a conv kernel [h, w, in, out] counts h*w per channel. */
export function computeFans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0], fanOut: shape[0] };
  if (shape.length === 2) return { fanIn: shape[0], fanOut: shape[1] };
  const receptive = sizeOf(shape.slice(0, -2));
  return { fanIn: receptive * shape[shape.length - 2], fanOut: receptive * shape[shape.length - 1] };
}

abstract class RandomInitializer implements Initializer {
  abstract readonly className: string;
  constructor(readonly seed: number | null = null) {}

  protected rng(): Random {
    return this.seed === null ? globalRandom : new Random(this.seed);
  }

  init(shape: readonly number[], dtype: FloatDType = getFloatX()): Tensor {
    const data = allocateFloat(dtype, sizeOf(shape));
    const draw = this.sampler(shape, this.rng());
    for (let i = 0; i < data.length; i++) data[i] = draw();
    return new Tensor(data, shape);
  }

  protected abstract sampler(shape: readonly number[], rng: Random): () => number;

  getConfig(): Record<string, unknown> {
    return { seed: this.seed };
  }
}

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
type Distribution = 'truncatedNormal' | 'untruncatedNormal' | 'uniform';

/** Keras's VarianceScaling, the family behind Glorot, He and LeCun initialisers. */
export class VarianceScaling extends RandomInitializer {
  readonly className: string = 'VarianceScaling';
  constructor(readonly scale = 1, readonly mode: Mode = 'fanIn', readonly distribution: Distribution = 'truncatedNormal', seed: number | null = null) {
    super(seed);
  }

  protected sampler(shape: readonly number[], rng: Random): () => number {
    const { fanIn, fanOut } = computeFans(shape);
    const n = this.mode === 'fanIn' ? fanIn : this.mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2;
    const variance = this.scale / Math.max(1, n);
    if (this.distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return () => rng.uniform(-limit, limit);
    }
    if (this.distribution === 'untruncatedNormal') {
      const stddev = Math.sqrt(variance);
      return () => rng.normal(0, stddev);
    }
    // Dividing by the stddev of a unit normal truncated at ±2 keeps the requested variance.
    const stddev = Math.sqrt(variance) / 0.8796256610342398;
    return () => rng.truncatedNormal(0, stddev);
  }

  override getConfig(): Record<string, unknown> {
    return { scale: this.scale, mode: this.mode, distribution: this.distribution, seed: this.seed };
  }
}

export class GlorotUniform extends VarianceScaling {
  override readonly className = 'GlorotUniform';
  constructor(args: { seed?: number } = {}) { super(1, 'fanAvg', 'uniform', args.seed ?? null); }
  override getConfig(): Record<string, unknown> { return { seed: this.seed }; }
}
export class GlorotNormal extends VarianceScaling {
  override readonly className = 'GlorotNormal';
  constructor(args: { seed?: number } = {}) { super(1, 'fanAvg', 'truncatedNormal', args.seed ?? null); }
  override getConfig(): Record<string, unknown> { return { seed: this.seed }; }
}
export class HeNormal extends VarianceScaling {
  override readonly className = 'HeNormal';
  constructor(args: { seed?: number } = {}) { super(2, 'fanIn', 'truncatedNormal', args.seed ?? null); }
  override getConfig(): Record<string, unknown> { return { seed: this.seed }; }
}
export class HeUniform extends VarianceScaling {
  override readonly className = 'HeUniform';
  constructor(args: { seed?: number } = {}) { super(2, 'fanIn', 'uniform', args.seed ?? null); }
  override getConfig(): Record<string, unknown> { return { seed: this.seed }; }
}
export class LecunNormal extends VarianceScaling {
  override readonly className = 'LecunNormal';
  constructor(args: { seed?: number } = {}) { super(1, 'fanIn', 'truncatedNormal', args.seed ?? null); }
  override getConfig(): Record<string, unknown> { return { seed: this.seed }; }
}

export class RandomNormal extends RandomInitializer {
  readonly className = 'RandomNormal';
  readonly mean: number;
  readonly stddev: number;
  constructor(args: { mean?: number; stddev?: number; seed?: number } = {}) {
    super(args.seed ?? null);
    this.mean = args.mean ?? 0;
    this.stddev = args.stddev ?? 0.05;
  }
  protected sampler(_shape: readonly number[], rng: Random): () => number {
    return () => rng.normal(this.mean, this.stddev);
  }
  override getConfig(): Record<string, unknown> { return { mean: this.mean, stddev: this.stddev, seed: this.seed }; }
}

export class RandomUniform extends RandomInitializer {
  readonly className = 'RandomUniform';
  readonly minval: number;
  readonly maxval: number;
  constructor(args: { minval?: number; maxval?: number; seed?: number } = {}) {
    super(args.seed ?? null);
    this.minval = args.minval ?? -0.05;
    this.maxval = args.maxval ?? 0.05;
  }
  protected sampler(_shape: readonly number[], rng: Random): () => number {
    return () => rng.uniform(this.minval, this.maxval);
  }
  override getConfig(): Record<string, unknown> { return { minval: this.minval, maxval: this.maxval, seed: this.seed }; }
}

export class Constant implements Initializer {
  readonly className: string = 'Constant';
  constructor(readonly value: number) {}
  init(shape: readonly number[], dtype: FloatDType = getFloatX()): Tensor {
    const data = allocateFloat(dtype, sizeOf(shape));
    data.fill(this.value);
    return new Tensor(data, shape);
  }
  getConfig(): Record<string, unknown> { return { value: this.value }; }
}

export class Zeros extends Constant {
  override readonly className = 'Zeros';
  constructor() { super(0); }
  override getConfig(): Record<string, unknown> { return {}; }
}
export class Ones extends Constant {
  override readonly className = 'Ones';
  constructor() { super(1); }
  override getConfig(): Record<string, unknown> { return {}; }
}

const byName: Record<string, () => Initializer> = {
  glorotuniform: () => new GlorotUniform(),
  glorotnormal: () => new GlorotNormal(),
  henormal: () => new HeNormal(),
  heuniform: () => new HeUniform(),
  lecunnormal: () => new LecunNormal(),
  randomnormal: () => new RandomNormal(),
  randomuniform: () => new RandomUniform(),
  zeros: () => new Zeros(),
  ones: () => new Ones(),
};

/** Accepts an initialiser object, a TF.js name ('heNormal') or a Keras name ('he_normal'). */
export function getInitializer(id: string | Initializer | undefined, fallback: string): Initializer {
  if (id !== undefined && typeof id !== 'string') return id;
  const name = id ?? fallback;
  const make = byName[name.replace(/_/g, '').toLowerCase()];
  if (!make) {
    throw new Error(`Unknown initializer '${name}'; expected one of glorotUniform, glorotNormal, heNormal, heUniform, lecunNormal, randomNormal, randomUniform, zeros, ones (snake_case also accepted)`);
  }
  return make();
}

/** Serialises as TF.js does: { className, config }. */
export function serializeInitializer(init: Initializer): { className: string; config: Record<string, unknown> } {
  return { className: init.className, config: init.getConfig() };
}

export const initializers = {
  glorotUniform: (a?: { seed?: number }) => new GlorotUniform(a),
  glorotNormal: (a?: { seed?: number }) => new GlorotNormal(a),
  heNormal: (a?: { seed?: number }) => new HeNormal(a),
  heUniform: (a?: { seed?: number }) => new HeUniform(a),
  lecunNormal: (a?: { seed?: number }) => new LecunNormal(a),
  randomNormal: (a?: { mean?: number; stddev?: number; seed?: number }) => new RandomNormal(a),
  randomUniform: (a?: { minval?: number; maxval?: number; seed?: number }) => new RandomUniform(a),
  zeros: () => new Zeros(),
  ones: () => new Ones(),
  constant: (a: { value: number }) => new Constant(a.value),
};
