import { add } from '../ops/arithmetic.js';
import { gatherElements } from '../ops/gather.js';
import { Tensor } from '../tensor/tensor.js';
import { RandomImageLayer } from './augmentation.js';
import type { LayerArgs } from './layer.js';

/** A number n stands for the range [0, n], as Keras reads `factor` and `scale`. */
type Range = number | [number, number];

export interface RandomErasingArgs extends LayerArgs {
  /** Chance of erasing: each image draws its probability uniformly from this range (default 1, so [0, 1]). */
  factor?: Range;
  /** Each side of the patch is sqrt(u) of the image's, u drawn from this range (default [0.02, 0.33]). */
  scale?: Range;
  /** The erased pixels' value; null (default) draws N(0, 1) × valueRange[1] per element, clipped. */
  fillValue?: number | null;
  /** The range of input values (default [0, 255]; [0, 1] for images already scaled). */
  valueRange?: [number, number];
  seed?: number;
}

/**
 * Keras's RandomErasing (Zhong et al. 2017): during training, each image loses one random
 * rectangle, filled with noise or a constant, so the network cannot lean on any one region.
 * The identity at inference. Erased pixels come from a gather (−1: nothing) plus a constant
 * fill, so gradients still reach the pixels that were kept.
 */
export class RandomErasing extends RandomImageLayer {
  readonly className = 'RandomErasing';
  readonly factor: [number, number];
  readonly scale: [number, number];
  readonly fillValue: number | null;
  readonly valueRange: [number, number];

  constructor(args: RandomErasingArgs = {}) {
    super(args, 'RandomErasing');
    this.factor = this.range('factor', args.factor ?? 1);
    this.scale = this.range('scale', args.scale ?? [0.02, 0.33]);
    const fill = args.fillValue ?? null;
    if (fill !== null && !Number.isFinite(fill)) throw new Error(`RandomErasing '${this.name}': fillValue must be a number or null, received ${JSON.stringify(args.fillValue)}`);
    this.fillValue = fill;
    const vr = args.valueRange ?? [0, 255];
    if (!Array.isArray(vr) || vr.length !== 2 || !vr.every(Number.isFinite) || vr[0] > vr[1]) {
      throw new Error(`RandomErasing '${this.name}': valueRange must be [low, high] with low <= high, received ${JSON.stringify(args.valueRange)}`);
    }
    this.valueRange = [vr[0], vr[1]];
  }

  private range(name: string, value: Range): [number, number] {
    const pair = typeof value === 'number' ? [0, value] : value;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => typeof v === 'number' && v >= 0 && v <= 1)) {
      throw new Error(`RandomErasing '${this.name}': ${name} must be a number or a pair of numbers in [0, 1], received ${JSON.stringify(value)}`);
    }
    return pair[0] <= pair[1] ? [pair[0], pair[1]] : [pair[1], pair[0]];
  }

  call(x: Tensor, training: boolean): Tensor {
    if (!training) return x;
    const [batch, height, width, channels] = x.shape;
    const source = new Int32Array(x.size);
    // The dtype from storage: reading x.data would wait for the kernels queued so far.
    const fill = new (x.storage.constructor as Float32ArrayConstructor)(x.size);
    const [low, high] = this.valueRange;
    let filled = false;
    for (let b = 0; b < batch; b++) {
      // Keras's order: patch sides, then corners, then whether to erase at all.
      const patchW = Math.sqrt(this.rng.uniform(this.scale[0], this.scale[1])) * width;
      const patchH = Math.sqrt(this.rng.uniform(this.scale[0], this.scale[1])) * height;
      const x0 = this.rng.next() * (width - patchW);
      const y0 = this.rng.next() * (height - patchH);
      const erase = this.rng.next() < this.rng.uniform(this.factor[0], this.factor[1]);
      for (let r = 0; r < height; r++) {
        const rowInside = r >= y0 && r < y0 + patchH;
        for (let c = 0; c < width; c++) {
          const inside = erase && rowInside && c >= x0 && c < x0 + patchW;
          const base = ((b * height + r) * width + c) * channels;
          for (let ch = 0; ch < channels; ch++) {
            const i = base + ch;
            if (!inside) {
              source[i] = i;
              continue;
            }
            source[i] = -1;
            const v = this.fillValue ?? this.rng.normal() * high;
            fill[i] = Math.min(high, Math.max(low, v));
            if (fill[i] !== 0) filled = true;
          }
        }
      }
    }
    const kept = gatherElements(x, source, x.shape);
    return filled ? add(kept, new Tensor(fill, x.shape)) : kept;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: this.factor, scale: this.scale, fillValue: this.fillValue, valueRange: this.valueRange };
  }
}
