/**
 * What Grad-CAM and saliency share: the image checks, the class score that is differentiated,
 * and reaching inside a model for one layer's output. Gradients come from src/autograd: the
 * score is computed under `valueAndGrads`, watching either the input image (saliency) or a
 * layer's output (Grad-CAM).
 */
import { valueAndGrads } from '../autograd/backprop.js';
import { noGrad } from '../autograd/tape.js';
import type { Layer } from '../layers/layer.js';
import type { LayersModel } from '../models/layers_model.js';
import { mul, sum } from '../ops/arithmetic.js';
import { isFloat } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';

/** One image as a batch of one: [1, h, w, c] (an [h, w, c] image gains the batch axis). */
export function asBatchOfOne(model: LayersModel, image: Tensor, what: string): Tensor {
  if (!(image instanceof Tensor)) throw new Error(`${what}: expected the image as a Tensor [h, w, c] or [1, h, w, c], received ${image === null ? 'null' : typeof image}`);
  const x = image.rank === 3 ? image.reshape([1, ...image.shape]) : image;
  if (x.rank !== 4 || x.shape[0] !== 1) {
    throw new Error(`${what}: expected one image of shape [h, w, c] or [1, h, w, c], received shape ${formatShape(image.shape)}`);
  }
  if (!isFloat(x.dtype)) {
    throw new Error(`${what}: expected a float image scaled as in training (e.g. pixels / 255), received dtype ${x.dtype}; convert it with datasets.toFloat() or ops.cast()`);
  }
  model.checkInput(x);
  return x;
}

/**
 * The score that is explained: the class's logit where the model ends in a softmax (its input,
 * as Grad-CAM and saliency papers use: softmax scores also depend on the other classes), else
 * the model's output for that class.
 */
export function classScores(model: LayersModel, x: Tensor): Tensor {
  return model.call(x, false, model.endsInSoftmax());
}

/** Checks classIndex, or picks the predicted class (the largest output) for x, a batch of one. */
export function resolveClass(model: LayersModel, x: Tensor, classIndex: number | undefined, what: string): number {
  const probabilities = noGrad(() => model.call(x, false)).data;
  const classes = probabilities.length;
  if (classIndex === undefined) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (probabilities[j] > probabilities[best]) best = j;
    return best;
  }
  if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= classes) {
    throw new Error(`${what}: classIndex must be an integer from 0 to ${classes - 1} (the model has ${classes} outputs), received ${JSON.stringify(classIndex)}`);
  }
  return classIndex;
}

/** sum over the batch of scores[:, classIndex]: one scalar whose gradient is each sample's own. */
export function scoreOf(scores: Tensor, classIndex: number): Tensor {
  if (scores.rank !== 2) throw new Error(`explain: the model must output one score per class ([batch, classes]), its output has shape ${formatShape(scores.shape)}`);
  const [n, k] = scores.shape;
  const pick = new (scores.storage.constructor as Float32ArrayConstructor)(n * k);
  for (let r = 0; r < n; r++) pick[r * k + classIndex] = 1;
  return sum(mul(scores, new Tensor(pick, scores.shape)));
}

/** The output shape of each layer (batch axis included), for Sequential and functional models. */
function layerOutputShapes(model: LayersModel): Map<Layer, readonly (number | null)[]> {
  const shapes = new Map<Layer, readonly (number | null)[]>();
  const m = model as unknown as { outputShapes?: () => (number | null)[][]; graph?: () => readonly { layer: Layer; output: { shape: (number | null)[] } }[] };
  if (typeof m.graph === 'function') for (const node of m.graph()) shapes.set(node.layer, node.output.shape);
  else if (typeof m.outputShapes === 'function') m.outputShapes().forEach((shape, i) => shapes.set(model.layers[i], shape));
  return shapes;
}

/**
 * The layer named (or given), else the model's last convolution whose output is still a grid
 * (more than 1x1: LeNet-5's C5 sees its whole input, and a map of one cell explains nothing).
 */
export function resolveLayer(model: LayersModel, layer: string | Layer | undefined, what: string): Layer {
  if (layer === undefined) {
    const shapes = layerOutputShapes(model);
    for (let i = model.layers.length - 1; i >= 0; i--) {
      const l = model.layers[i];
      const shape = shapes.get(l);
      const grid = !shape || (shape.length === 4 && ((shape[1] ?? 2) > 1 || (shape[2] ?? 2) > 1));
      if (/Conv/.test(l.className) && grid) return l;
    }
    throw new Error(`${what}: model '${model.name}' has no convolution layer with a spatial output; pass { layer } naming a layer with [h, w, channels] output (its layers: ${model.layers.map((l) => l.name).join(', ')})`);
  }
  if (typeof layer === 'string') return model.getLayer(layer);
  if (!model.layers.includes(layer)) throw new Error(`${what}: layer '${layer.name}' is not a layer of model '${model.name}'`);
  return layer;
}

/**
 * Runs f while `layer.apply` is replaced by `replace` (on this instance only), for Sequential
 * and functional models alike: both run a layer through its apply().
 */
function withLayerApply<T>(layer: Layer, replace: (original: (x: Tensor, training: boolean) => Tensor, x: Tensor, training: boolean) => Tensor, f: () => T): T {
  const original = layer.apply.bind(layer) as (x: Tensor, training: boolean) => Tensor;
  const patched = layer as unknown as { apply: unknown };
  patched.apply = (x: Tensor, training = false) => replace(original, x, training);
  try {
    return f();
  } finally {
    delete patched.apply;
  }
}

/** The output of `layer` for x (no gradient), checking that the layer runs once. */
export function layerOutput(model: LayersModel, x: Tensor, layer: Layer, what: string): Tensor {
  const seen: Tensor[] = [];
  noGrad(() =>
    withLayerApply(layer, (original, input, training) => {
      const y = original(input, training);
      seen.push(y);
      return y;
    }, () => model.call(x, false)),
  );
  if (seen.length !== 1) {
    throw new Error(`${what}: layer '${layer.name}' runs ${seen.length} times in model '${model.name}'; choose a layer used exactly once`);
  }
  return seen[0];
}

/**
 * The class score computed from a given output of `layer` (the layers before it still run, but
 * their result at `layer` is replaced by `activations`), so that the score is a function of
 * `activations` that autograd can differentiate.
 */
export function scoreFromLayerOutput(model: LayersModel, x: Tensor, layer: Layer, activations: Tensor, classIndex: number): Tensor {
  return withLayerApply(layer, () => activations, () => scoreOf(classScores(model, x), classIndex));
}

/** d score / d (layer output), with the layer output itself. */
export function layerGradient(model: LayersModel, x: Tensor, layer: Layer, classIndex: number, what: string): { activations: Tensor; gradient: Tensor; score: number } {
  const activations = layerOutput(model, x, layer, what);
  const { value, grads } = valueAndGrads(() => scoreFromLayerOutput(model, x, layer, activations, classIndex), [activations]);
  return { activations, gradient: grads[0], score: value.data[0] };
}

/** d score / d input for each sample of x (a batch: the samples do not interact at inference). */
export function inputGradient(model: LayersModel, x: Tensor, classIndex: number): Tensor {
  return valueAndGrads(() => scoreOf(classScores(model, x), classIndex), [x]).grads[0];
}
