import { gatherElements } from '../ops/gather.js';
import type { Tensor } from '../tensor/tensor.js';
import { Random, globalRandom } from '../utils/random.js';
import { Layer, formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';

/*
 * Keras's random augmentation layers: active only while training, identity at inference, drawn
 * per sample from a seeded generator. Each builds an index map over the batch and gathers, so
 * the dataset is never copied and gradients flow (as a scatter-add) if the layer is not first.
 */

type FillMode = 'constant' | 'reflect' | 'nearest';

/** Where an out-of-range coordinate reads from, or -1 for the constant (zero) fill. */
function fillIndex(i: number, size: number, mode: FillMode): number {
  if (i >= 0 && i < size) return i;
  if (mode === 'constant') return -1;
  if (mode === 'nearest') return i < 0 ? 0 : size - 1;
  // Keras's 'reflect' (d c b a | a b c d | d c b a): the edge pixel repeats.
  const period = 2 * size;
  const m = ((i % period) + period) % period;
  return m < size ? m : period - 1 - m;
}

export abstract class RandomImageLayer extends Layer {
  readonly seed: number | null;
  protected readonly rng: Random;

  constructor(args: LayerArgs & { seed?: number }, className: string) {
    super(args, className);
    this.seed = args.seed ?? null;
    this.rng = args.seed === undefined ? globalRandom : new Random(args.seed);
  }

  protected override checkInput(shape: readonly (number | null)[]): void {
    if (shape.length !== 4) {
      throw new Error(`Input of layer '${this.name}' (${this.className}) must have rank 4 (batch, height, width, channels), received shape ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.checkInput(inputShape);
    return inputShape;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), seed: this.seed };
  }
}

/**
 * An augmentation that moves pixels: each output pixel reads one input pixel, or zero. Flips and
 * whole-pixel shifts are separable: output row r reads input row rows[r] and column c reads
 * column cols[c] (-1: the zero fill), so a sample's map is two short arrays.
 */
abstract class RandomPixelMapLayer extends RandomImageLayer {
  /** One sample's source row per output row and source column per output column (-1: zero). */
  protected abstract sampleMaps(height: number, width: number): { rows: Int32Array; cols: Int32Array };

  call(x: Tensor, training: boolean): Tensor {
    if (!training) return x;
    const [batch, height, width, channels] = x.shape;
    const source = new Int32Array(x.size);
    let i = 0;
    for (let b = 0; b < batch; b++) {
      const { rows, cols } = this.sampleMaps(height, width);
      for (let r = 0; r < height; r++) {
        const sr = rows[r];
        const rowBase = (b * height + sr) * width;
        for (let c = 0; c < width; c++) {
          const sc = cols[c];
          if (sr < 0 || sc < 0) {
            source.fill(-1, i, i + channels);
            i += channels;
            continue;
          }
          const base = (rowBase + sc) * channels;
          for (let ch = 0; ch < channels; ch++) source[i++] = base + ch;
        }
      }
    }
    return gatherElements(x, source, x.shape);
  }
}

export interface RandomFlipArgs extends LayerArgs {
  mode?: 'horizontal' | 'vertical' | 'horizontal_and_vertical';
  seed?: number;
}

/** Flips each image with probability 1/2 along the chosen axes (Keras's RandomFlip). */
export class RandomFlip extends RandomPixelMapLayer {
  readonly className = 'RandomFlip';
  readonly mode: 'horizontal' | 'vertical' | 'horizontal_and_vertical';

  constructor(args: RandomFlipArgs = {}) {
    super(args, 'RandomFlip');
    const mode = args.mode ?? 'horizontal_and_vertical';
    if (!['horizontal', 'vertical', 'horizontal_and_vertical'].includes(mode)) {
      throw new Error(`RandomFlip '${this.name}': mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', received ${JSON.stringify(mode)}`);
    }
    this.mode = mode;
  }

  protected sampleMaps(height: number, width: number): { rows: Int32Array; cols: Int32Array } {
    const flipH = this.mode !== 'vertical' && this.rng.next() < 0.5;
    const flipV = this.mode !== 'horizontal' && this.rng.next() < 0.5;
    return {
      rows: Int32Array.from({ length: height }, (_, r) => (flipV ? height - 1 - r : r)),
      cols: Int32Array.from({ length: width }, (_, c) => (flipH ? width - 1 - c : c)),
    };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mode: this.mode };
  }
}

export interface RandomTranslationArgs extends LayerArgs {
  /** Largest shift as a fraction of the height (e.g. 4/32 for CIFAR's pad-4-and-crop). */
  heightFactor: number;
  widthFactor: number;
  fillMode?: FillMode;
  seed?: number;
}

/**
 * Shifts each image by a whole number of pixels, uniformly up to factor × size in each
 * direction (Keras's RandomTranslation with nearest-pixel interpolation). With fillMode
 * 'constant' it is the classic "pad and random crop" augmentation.
 */
export class RandomTranslation extends RandomPixelMapLayer {
  readonly className = 'RandomTranslation';
  readonly heightFactor: number;
  readonly widthFactor: number;
  readonly fillMode: FillMode;

  constructor(args: RandomTranslationArgs) {
    super(args, 'RandomTranslation');
    for (const [name, v] of [['heightFactor', args.heightFactor], ['widthFactor', args.widthFactor]] as const) {
      if (!(v >= 0 && v <= 1)) throw new Error(`RandomTranslation '${this.name}': ${name} must be in [0, 1], received ${JSON.stringify(v)}`);
    }
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor;
    this.fillMode = args.fillMode ?? 'reflect';
    if (!['constant', 'reflect', 'nearest'].includes(this.fillMode)) {
      throw new Error(`RandomTranslation '${this.name}': fillMode must be 'constant', 'reflect' or 'nearest', received ${JSON.stringify(args.fillMode)}`);
    }
  }

  protected sampleMaps(height: number, width: number): { rows: Int32Array; cols: Int32Array } {
    const maxH = Math.floor(this.heightFactor * height);
    const maxW = Math.floor(this.widthFactor * width);
    const dy = this.rng.int(2 * maxH + 1) - maxH;
    const dx = this.rng.int(2 * maxW + 1) - maxW;
    return {
      rows: Int32Array.from({ length: height }, (_, r) => fillIndex(r - dy, height, this.fillMode)),
      cols: Int32Array.from({ length: width }, (_, c) => fillIndex(c - dx, width, this.fillMode)),
    };
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), heightFactor: this.heightFactor, widthFactor: this.widthFactor, fillMode: this.fillMode, interpolation: 'nearest' };
  }
}
