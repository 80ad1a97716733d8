/**
 * Explanations of a CNN's answer: Grad-CAM and saliency maps, as `explain.gradCam(model, image)`
 * and `explain.saliency(model, image)`. Both work for Sequential and functional models, built in
 * the session or loaded with loadLayersModel, and use the library's autograd for their gradients.
 */
export { gradCam, type GradCamOptions } from './grad_cam.js';
export { saliency, type SaliencyOptions } from './saliency.js';
export { argmax2d, resizeBilinear } from './heatmap.js';
export { jet, blend, overlayRGBA } from './overlay.js';
import type { Layer } from '../layers/layer.js';
import type { LayersModel } from '../models/layers_model.js';
import { resolveLayer } from './target.js';

/** The layer Grad-CAM explains by default: the model's last convolution. */
export function lastConvLayer(model: LayersModel): Layer {
  return resolveLayer(model, undefined, 'explain.lastConvLayer');
}
