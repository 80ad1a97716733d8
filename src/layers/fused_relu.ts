import { Activation } from './core.js';
import { ReLU } from './advanced_activations.js';
import { BatchNormalization } from './batch_normalization.js';
import { MaxPooling2D } from './pooling.js';
import { Conv2D } from './conv2d.js';
import type { Layer } from './layer.js';
import { isRecording } from '../autograd/tape.js';
import type { Tensor } from '../tensor/tensor.js';

/*
 * conv → BatchNormalization → ReLU (→ MaxPooling2D), the block of VGG- and ResNet-style networks, costs as many
 * passes over the activations as its kernels make. A model that finds a BatchNormalization
 * followed by a plain ReLU runs the two as one (BatchNormalization.applyRelu): the batch-norm
 * kernels apply the ReLU as they write their output, and its gradient masks dy as it is read;
 * with a max pooling after them, the three as one (BatchNormalization.applyReluMaxPool).
 * The values are those of the two layers run one after the other (test/layers/fused_relu.test.ts).
 * In inference, a Conv2D (linear or ReLU) followed by a max pooling runs as one kernel too
 * (Conv2D.applyMaxPool, src/ops/conv_pool.ts), which never writes the full-size convolution output.
 */

/** Off runs every layer on its own, for measurements against the fused path (bench/profile_step.ts FUSE=0). */
export const reluFusion = { enabled: true };

/** Whether `layer` is a plain ReLU: Activation('relu'), or ReLU() with no cap, slope or threshold. */
export function isPlainRelu(layer: Layer | undefined): boolean {
  if (layer instanceof Activation) return layer.activation === 'relu';
  if (layer instanceof ReLU) return layer.maxValue === null && layer.negativeSlope === 0 && layer.threshold === 0;
  return false;
}

/**
 * Whether a model may run `layer` and `next` as BatchNormalization.applyRelu. Not where either
 * layer's apply is replaced on the instance (src/explain/target.ts watches one layer's output
 * that way), so that a watched layer still runs on its own.
 */
export function fusesRelu(layer: Layer, next: Layer | undefined): layer is BatchNormalization {
  if (!reluFusion.enabled || !(layer instanceof BatchNormalization) || !next || !isPlainRelu(next)) return false;
  return !Object.hasOwn(layer, 'apply') && !Object.hasOwn(next, 'apply');
}

/**
 * Whether a model may run `layer`, `next` and `pool` as BatchNormalization.applyReluMaxPool: a
 * fused BatchNormalization and ReLU followed by a max pooling whose apply is not replaced.
 */
export function fusesReluMaxPool(layer: Layer, next: Layer | undefined, pool: Layer | undefined): pool is MaxPooling2D {
  return fusesRelu(layer, next) && pool instanceof MaxPooling2D && !Object.hasOwn(pool, 'apply');
}

/**
 * Whether a model may run `layer` and `next` in inference as Conv2D.applyMaxPool: a Conv2D with
 * a linear or ReLU activation followed by a max pooling, neither with its apply replaced. (Other
 * activations commute with the max only as far as their kernels are exactly monotone; they run
 * as two layers.)
 */
export function fusesConvMaxPool(layer: Layer, next: Layer | undefined): layer is Conv2D {
  if (!reluFusion.enabled || !(layer instanceof Conv2D) || !(next instanceof MaxPooling2D)) return false;
  if (layer.activation !== 'relu' && layer.activation !== 'linear') return false;
  return !Object.hasOwn(layer, 'apply') && !Object.hasOwn(next, 'apply');
}

/**
 * Runs `layer` and, where they fuse with it, the one or two layers after it (`next`, `then`;
 * undefined where a model must not fuse that far): the output and how many layers it covers, or
 * null where `layer` runs alone. Sequential and functional models share it.
 */
export function applyFused(layer: Layer, next: Layer | undefined, then: Layer | undefined, x: Tensor, training: boolean): { y: Tensor; layers: number } | null {
  if (fusesReluMaxPool(layer, next, then)) {
    // BatchNormalization, ReLU and MaxPooling2D as one.
    next!.validateInput(x.shape);
    if (!next!.built) next!.build([null, ...x.shape.slice(1)]);
    return { y: (layer as BatchNormalization).applyReluMaxPool(x, training, then), layers: 3 };
  }
  if (!training && !isRecording() && fusesConvMaxPool(layer, next)) {
    // Conv2D and MaxPooling2D as one kernel in inference.
    return { y: layer.applyMaxPool(x, next as MaxPooling2D), layers: 2 };
  }
  if (fusesRelu(layer, next)) {
    // BatchNormalization then ReLU, in one kernel each way.
    const y = layer.applyRelu(x, training);
    next!.validateInput(y.shape);
    if (!next!.built) next!.build([null, ...y.shape.slice(1)]);
    return { y, layers: 2 };
  }
  return null;
}
