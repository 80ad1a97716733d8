/**
 * Saliency maps: how much each pixel moves the class score.
 * - 'vanilla' (Simonyan et al. 2014, https://arxiv.org/abs/1312.6034): |d score / d pixel|, the
 *   largest over the colour channels;
 * - 'smoothgrad' (Smilkov et al. 2017, https://arxiv.org/abs/1706.03825): the same of the mean
 *   gradient over copies of the image with Gaussian noise, which removes most of the speckle.
 * Gradients come from src/autograd (valueAndGrads with respect to the input).
 */
import type { LayersModel } from '../models/layers_model.js';
import { allocate, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { Random, globalRandom } from '../utils/random.js';
import { normalizeMax } from './heatmap.js';
import { asBatchOfOne, inputGradient, resolveClass } from './target.js';

export interface SaliencyOptions {
  /** The class explained (default: the predicted class). */
  classIndex?: number;
  /** 'vanilla' (default) or 'smoothgrad'. */
  method?: 'vanilla' | 'smoothgrad';
  /** SmoothGrad: how many noisy copies (default 25). */
  samples?: number;
  /** SmoothGrad: noise standard deviation as a fraction of the image's value range (default 0.15, the paper's 10-20%). */
  noise?: number;
  /** SmoothGrad: seed of the noise (default: the global generator, set by setSeed()). */
  seed?: number;
  /** SmoothGrad: copies per forward/backward pass (default 16). */
  batchSize?: number;
  /** Scale the map to [0, 1] by its maximum (default true). */
  normalize?: boolean;
}

/** The saliency map of one image ([h, w, c] or [1, h, w, c], scaled as in training): a tensor [h, w]. */
export function saliency(model: LayersModel, image: Tensor, options: SaliencyOptions = {}): Tensor {
  const what = 'explain.saliency';
  const x = asBatchOfOne(model, image, what);
  const method = options.method ?? 'vanilla';
  if (method !== 'vanilla' && method !== 'smoothgrad') throw new Error(`${what}: method must be 'vanilla' or 'smoothgrad', received ${JSON.stringify(method)}`);
  const classIndex = resolveClass(model, x, options.classIndex, what);
  const [, h, w, c] = x.shape;
  const grad = method === 'vanilla' ? inputGradient(model, x, classIndex).data : smoothGradient(model, x, classIndex, options, what);
  const map = allocate(x.dtype as FloatDType, h * w) as Float32Array;
  for (let i = 0; i < h * w; i++) {
    let m = 0;
    for (let ch = 0; ch < c; ch++) {
      const v = Math.abs(grad[i * c + ch]);
      m = Number.isNaN(v) || Number.isNaN(m) ? NaN : Math.max(m, v);
    }
    map[i] = m;
  }
  if (options.normalize ?? true) normalizeMax(map);
  return new Tensor(map, [h, w]);
}

function checkCount(value: number | undefined, fallback: number, name: string, what: string): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what}: ${name} must be a positive integer, received ${JSON.stringify(value)}`);
  return v;
}

/** The mean over noisy copies of d score / d input, as a flat [h * w * c] array. */
function smoothGradient(model: LayersModel, x: Tensor, classIndex: number, options: SaliencyOptions, what: string): ArrayLike<number> {
  const samples = checkCount(options.samples, 25, 'samples', what);
  const batchSize = checkCount(options.batchSize, 16, 'batchSize', what);
  const noise = options.noise ?? 0.15;
  if (!(noise >= 0 && Number.isFinite(noise))) throw new Error(`${what}: noise must be a number >= 0 (a fraction of the value range), received ${JSON.stringify(options.noise)}`);
  const rng = options.seed === undefined ? globalRandom : new Random(options.seed);
  const pixels = x.data;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < pixels.length; i++) { lo = Math.min(lo, pixels[i]); hi = Math.max(hi, pixels[i]); }
  const sigma = noise * (hi > lo ? hi - lo : 1);
  const row = x.size;
  const total = new Float64Array(row);
  for (let done = 0; done < samples; done += batchSize) {
    const n = Math.min(batchSize, samples - done);
    const batch = allocate(x.dtype as FloatDType, n * row);
    for (let s = 0; s < n; s++) for (let i = 0; i < row; i++) batch[s * row + i] = pixels[i] + rng.normal(0, sigma);
    // One pass for n copies: the score summed over the batch has each copy's own gradient.
    const g = inputGradient(model, new Tensor(batch, [n, ...x.shape.slice(1)]), classIndex).data;
    for (let s = 0; s < n; s++) for (let i = 0; i < row; i++) total[i] += g[s * row + i];
  }
  for (let i = 0; i < row; i++) total[i] /= samples;
  return total;
}
