/** The two-input, two-output model of test/multi_io.test.ts and test/io/multi_io.test.ts. */
import { Functional, input, layers, model, tensor, Tensor } from '../../src/index.js';
import { Random } from '../../src/utils/random.js';

/** image [6, 6, 2] + vector [3] -> classes (3, softmax) and a regression value. */
export function twoByTwo(name = 'two_by_two'): Functional {
  const image = input({ shape: [6, 6, 2], name: 'image' });
  const vector = input({ shape: [3], name: 'vector' });
  const conv = layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', name: 'conv' }).apply(image);
  const pooled = layers.globalAveragePooling2d({ name: 'gap' }).apply(conv);
  const dense = layers.dense({ units: 4, activation: 'relu', name: 'vec_dense' }).apply(vector);
  const joined = layers.concatenate({ name: 'join' }).apply([pooled, dense]);
  const cls = layers.dense({ units: 3, activation: 'softmax', name: 'cls' }).apply(joined);
  const reg = layers.dense({ units: 1, name: 'reg' }).apply(joined);
  return model({ inputs: [image, vector], outputs: [cls, reg], name });
}

export function data(n: number, seed: number): { image: Tensor; vector: Tensor; cls: Tensor; reg: Tensor } {
  const rng = new Random(seed);
  const u = (k: number) => Float32Array.from({ length: k }, () => rng.uniform(-1, 1));
  return {
    image: tensor(u(n * 72), [n, 6, 6, 2]),
    vector: tensor(u(n * 3), [n, 3]),
    cls: tensor(Float32Array.from({ length: n }, (_, i) => i % 3), [n]),
    reg: tensor(u(n), [n, 1]),
  };
}

