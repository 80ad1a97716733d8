import { reshape } from '../ops/arithmetic.js';
import { pad, slice, transpose } from '../ops/layout.js';
import { resizeImages, type Interpolation } from '../ops/resize.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';

/** Layers that change the shape of their input without weights (Keras's reshaping layers). */

export type PairSpec = number | [number, number] | [[number, number], [number, number]];

/** Keras's padding/cropping argument: n, [h, w] (symmetric) or [[top, bottom], [left, right]]. */
export function normalizeBorders(value: unknown, what: string): [[number, number], [number, number]] {
  const ok = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (ok(value)) return [[value, value], [value, value]];
  if (Array.isArray(value) && value.length === 2) {
    if (ok(value[0]) && ok(value[1])) return [[value[0], value[0]], [value[1], value[1]]];
    const [a, b] = value;
    if (Array.isArray(a) && Array.isArray(b) && a.length === 2 && b.length === 2 && [...a, ...b].every(ok)) return [[a[0], a[1]], [b[0], b[1]]];
  }
  throw new Error(`${what} must be a non-negative integer, [height, width] or [[top, bottom], [left, right]], received ${JSON.stringify(value)}`);
}

function checkImageRank(layer: Layer, shape: readonly (number | null)[]): void {
  if (shape.length !== 4) {
    throw new Error(`Input of layer '${layer.name}' (${layer.className}) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
  }
}

function checkChannelsLast(layer: string, dataFormat: unknown): void {
  if (dataFormat !== undefined && dataFormat !== null && dataFormat !== 'channelsLast') {
    throw new Error(`${layer}: only dataFormat 'channelsLast' (NHWC) is supported, received ${JSON.stringify(dataFormat)}`);
  }
}

const plus = (d: number | null, n: number): number | null => (d === null ? null : d + n);

export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  readonly padding: [[number, number], [number, number]];
  constructor(args: LayerArgs & { padding?: PairSpec; dataFormat?: 'channelsLast' } = {}) {
    super(args, 'ZeroPadding2D');
    checkChannelsLast(`ZeroPadding2D '${this.name}'`, args.dataFormat);
    this.padding = normalizeBorders(args.padding ?? 1, `ZeroPadding2D '${this.name}': padding`);
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkImageRank(this, shape);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    const [[t, b], [l, r]] = this.padding;
    return [s[0], plus(s[1], t + b), plus(s[2], l + r), s[3]];
  }
  call(x: Tensor): Tensor {
    return pad(x, [[0, 0], this.padding[0], this.padding[1], [0, 0]]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding, dataFormat: 'channelsLast' };
  }
}

export class Cropping2D extends Layer {
  readonly className = 'Cropping2D';
  readonly cropping: [[number, number], [number, number]];
  constructor(args: LayerArgs & { cropping?: PairSpec; dataFormat?: 'channelsLast' } = {}) {
    super(args, 'Cropping2D');
    checkChannelsLast(`Cropping2D '${this.name}'`, args.dataFormat);
    this.cropping = normalizeBorders(args.cropping ?? 0, `Cropping2D '${this.name}': cropping`);
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkImageRank(this, shape);
    const [[t, b], [l, r]] = this.cropping;
    if ((shape[1] !== null && t + b >= shape[1]) || (shape[2] !== null && l + r >= shape[2])) {
      throw new Error(`Layer '${this.name}' (Cropping2D): cropping ${JSON.stringify(this.cropping)} leaves nothing of input ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    const [[t, b], [l, r]] = this.cropping;
    return [s[0], plus(s[1], -t - b), plus(s[2], -l - r), s[3]];
  }
  call(x: Tensor): Tensor {
    const [[t, b], [l, r]] = this.cropping;
    const [n, h, w, c] = x.shape;
    return slice(x, [0, t, l, 0], [n, h - t - b, w - l - r, c]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: this.cropping, dataFormat: 'channelsLast' };
  }
}

export class UpSampling2D extends Layer {
  readonly className = 'UpSampling2D';
  readonly size: [number, number];
  readonly interpolation: Interpolation;
  constructor(args: LayerArgs & { size?: number | [number, number]; interpolation?: Interpolation; dataFormat?: 'channelsLast' } = {}) {
    super(args, 'UpSampling2D');
    checkChannelsLast(`UpSampling2D '${this.name}'`, args.dataFormat);
    const size = args.size ?? 2;
    const pair = typeof size === 'number' ? [size, size] : size;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v > 0)) {
      throw new Error(`UpSampling2D '${this.name}': size must be a positive integer or a pair of them, received ${JSON.stringify(args.size)}`);
    }
    this.size = [pair[0], pair[1]];
    const interpolation = args.interpolation ?? 'nearest';
    if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
      throw new Error(`UpSampling2D '${this.name}': interpolation must be 'nearest' or 'bilinear', received ${JSON.stringify(args.interpolation)}`);
    }
    this.interpolation = interpolation;
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    checkImageRank(this, shape);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    return [s[0], s[1] === null ? null : s[1] * this.size[0], s[2] === null ? null : s[2] * this.size[1], s[3]];
  }
  call(x: Tensor): Tensor {
    return resizeImages(x, x.shape[1] * this.size[0], x.shape[2] * this.size[1], this.interpolation);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size, dataFormat: 'channelsLast', interpolation: this.interpolation };
  }
}

/** Reshapes every sample to targetShape (one entry may be -1), keeping the batch axis. */
export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly targetShape: number[];
  constructor(args: LayerArgs & { targetShape: number[] }) {
    super(args, 'Reshape');
    const t = args?.targetShape;
    if (!Array.isArray(t) || !t.every((d) => Number.isInteger(d) && (d > 0 || d === -1)) || t.filter((d) => d === -1).length > 1) {
      throw new Error(`Reshape '${this.name}': targetShape must be positive integers with at most one -1, received ${JSON.stringify(t)}`);
    }
    this.targetShape = [...t];
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    const rest = s.slice(1);
    const target = this.targetShape;
    const known = target.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
    if (rest.some((d) => d === null)) return [s[0], ...target.map((d) => (d === -1 ? null : d))];
    const size = (rest as number[]).reduce((p, d) => p * d, 1);
    const fits = target.includes(-1) ? size % known === 0 : size === known;
    if (!fits) throw new Error(`Layer '${this.name}' (Reshape): cannot reshape input ${formatSymbolic(s)} (${size} values a sample) into targetShape ${JSON.stringify(target)}`);
    return [s[0], ...target.map((d) => (d === -1 ? size / known : d))];
  }
  call(x: Tensor): Tensor {
    const out = this.computeOutputShape([x.shape[0], ...x.shape.slice(1)]);
    return reshape(x, [x.shape[0], ...(out.slice(1) as number[])]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: this.targetShape };
  }
}

/** Permutes the non-batch axes: dims is 1-based, e.g. [2, 1] swaps the two axes of a sequence. */
export class Permute extends Layer {
  readonly className = 'Permute';
  readonly dims: number[];
  constructor(args: LayerArgs & { dims: number[] }) {
    super(args, 'Permute');
    const dims = args?.dims;
    const sorted = Array.isArray(dims) ? [...dims].sort((a, b) => a - b) : [];
    if (!Array.isArray(dims) || dims.length === 0 || sorted.some((d, i) => d !== i + 1)) {
      throw new Error(`Permute '${this.name}': dims must be a permutation of 1..n (the batch axis 0 stays), received ${JSON.stringify(dims)}`);
    }
    this.dims = [...dims];
  }
  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length !== this.dims.length + 1) {
      throw new Error(`Input of layer '${this.name}' (Permute) must have rank ${this.dims.length + 1} for dims ${JSON.stringify(this.dims)}, received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    this.checkInput(s);
    return [s[0], ...this.dims.map((d) => s[d])];
  }
  call(x: Tensor): Tensor {
    return transpose(x, [0, ...this.dims]);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dims: this.dims };
  }
}
