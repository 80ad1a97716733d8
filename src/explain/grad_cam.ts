/**
 * Grad-CAM (Selvaraju et al. 2017, https://arxiv.org/abs/1610.02391): which regions of an image
 * a convolution layer's features make count toward one class. The weight of each feature map is
 * the mean over its cells of d(class score)/d(map), computed by src/autograd; the map is the
 * ReLU of the weighted sum of the feature maps, resized to the input image.
 */
import type { Layer } from '../layers/layer.js';
import type { LayersModel } from '../models/layers_model.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { normalizeMax, resizeBilinear } from './heatmap.js';
import { asBatchOfOne, layerGradient, resolveClass, resolveLayer } from './target.js';

export interface GradCamOptions {
  /** The layer whose output is explained, by name or object (default: the last convolution). */
  layer?: string | Layer;
  /** The class explained (default: the predicted class). */
  classIndex?: number;
  /** Resize the map to the input image's height and width (default true); false: the layer's own grid. */
  upsample?: boolean;
  /** Scale the map to [0, 1] by its maximum (default true). */
  normalize?: boolean;
}

/**
 * The Grad-CAM heat map of one image ([h, w, c] or [1, h, w, c], scaled as in training):
 * a tensor [h, w], 0 where the layer's features speak against the class or not at all.
 */
export function gradCam(model: LayersModel, image: Tensor, options: GradCamOptions = {}): Tensor {
  const what = 'explain.gradCam';
  const x = asBatchOfOne(model, image, what);
  const layer = resolveLayer(model, options.layer, what);
  const classIndex = resolveClass(model, x, options.classIndex, what);
  const { activations, gradient } = layerGradient(model, x, layer, classIndex, what);
  if (activations.rank !== 4) {
    throw new Error(`${what}: layer '${layer.name}' (${layer.className}) outputs shape ${formatShape(activations.shape)}; Grad-CAM needs a layer with [h, w, channels] output, such as a Conv2D or pooling layer`);
  }
  const [, h, w, k] = activations.shape;
  const a = activations.data;
  const g = gradient.data;
  // alpha_k = mean over cells of the gradient; map = relu(sum_k alpha_k A_k).
  const alpha = new Float64Array(k);
  for (let i = 0; i < h * w; i++) for (let c = 0; c < k; c++) alpha[c] += g[i * k + c];
  for (let c = 0; c < k; c++) alpha[c] /= h * w;
  const map = new (a.constructor as Float32ArrayConstructor)(h * w);
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += alpha[c] * a[i * k + c];
    map[i] = s > 0 ? s : Number.isNaN(s) ? NaN : 0;
  }
  const [outH, outW] = [x.shape[1], x.shape[2]];
  const upsample = options.upsample ?? true;
  const sized = upsample ? resizeBilinear(map, h, w, outH, outW) : map;
  if (options.normalize ?? true) normalizeMax(sized);
  return new Tensor(sized, upsample ? [outH, outW] : [h, w]);
}
