/**
 * TF.js equivalents of the real-size bench models (src/zoo/recipes.ts, src/zoo/cifar.ts), layer
 * for layer. TF.js 4.22 has no RandomFlip or RandomTranslation layer, so `RandomFlipShift` does
 * what convlab's pair does with TF.js ops: per sample, a left-right flip with probability 1/2 and
 * a whole-pixel shift of up to floor(shift x size), zeros filling the border; the identity when
 * not training.
 */
import * as tf from '@tensorflow/tfjs';
import type { BigModel } from './common.js';

class RandomFlipShift extends tf.layers.Layer {
  static className = 'RandomFlipShift';
  private readonly shift: number;

  constructor(args: { shift: number; inputShape: number[] }) {
    super({ inputShape: args.inputShape });
    this.shift = args.shift;
  }

  override computeOutputShape(shape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      if (!kwargs.training) return x;
      const [b, h, w] = x.shape;
      const flip = tf.cast(tf.less(tf.randomUniform([b, 1, 1, 1]), 0.5), 'float32');
      const flipped = tf.add(tf.mul(tf.image.flipLeftRight(x), flip), tf.mul(x, tf.sub(1, flip))) as tf.Tensor4D;
      const mh = Math.floor(this.shift * h);
      const mw = Math.floor(this.shift * w);
      if (mh === 0 && mw === 0) return flipped;
      const params: number[] = [];
      for (let i = 0; i < b; i++) {
        const dy = Math.floor(Math.random() * (2 * mh + 1)) - mh;
        const dx = Math.floor(Math.random() * (2 * mw + 1)) - mw;
        params.push(1, 0, -dx, 0, 1, -dy, 0, 0);
      }
      return tf.image.transform(flipped, tf.tensor2d(params, [b, 8]), 'nearest', 'constant', 0);
    });
  }
}
tf.serialization.registerClass(RandomFlipShift);

function vgg(inputShape: number[], shift: number | null): tf.Sequential {
  const m = tf.sequential();
  if (shift !== null) m.add(new RandomFlipShift({ shift, inputShape }));
  [32, 64, 128, 256].forEach((filters, i) => {
    m.add(tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', useBias: false, ...(i === 0 && shift === null ? { inputShape } : {}) }));
    m.add(tf.layers.batchNormalization());
    m.add(tf.layers.activation({ activation: 'relu' }));
    if (i < 3) m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  });
  m.add(tf.layers.globalAveragePooling2d({}));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

function cifarCnn(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [32, 32, 3] }));
  m.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.dropout({ rate: 0.25 }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.dropout({ rate: 0.25 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 512, activation: 'relu' }));
  m.add(tf.layers.dropout({ rate: 0.5 }));
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  return m;
}

export function buildBigModel(name: BigModel): tf.Sequential {
  if (name === 'cifar-vgg') return vgg([32, 32, 3], 0.125);
  if (name === 'cifar-vgg-noaug') return vgg([32, 32, 3], null);
  if (name === 'fashion-vgg') return vgg([28, 28, 1], 0);
  return cifarCnn();
}
