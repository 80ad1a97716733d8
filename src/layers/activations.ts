import { elu, leakyRelu, relu, sigmoid, softmax, tanh } from '../ops/nn.js';
import type { Tensor } from '../tensor/tensor.js';

export type ActivationName = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'elu' | 'leakyRelu';

const functions: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu,
  tanh,
  sigmoid,
  softmax,
  elu: (x) => elu(x, 1),
  leakyRelu: (x) => leakyRelu(x, 0.3),
};

const aliases: Record<string, ActivationName> = {
  linear: 'linear', relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', softmax: 'softmax', elu: 'elu',
  leakyrelu: 'leakyRelu', leaky_relu: 'leakyRelu',
};

/** Accepts TF.js names ('leakyRelu') and Keras names ('leaky_relu'); null/undefined means linear. */
export function normalizeActivation(name: string | null | undefined): ActivationName {
  if (name === undefined || name === null) return 'linear';
  const found = aliases[name] ?? aliases[name.toLowerCase()];
  if (!found) {
    throw new Error(`Unknown activation '${name}'; expected one of ${Object.keys(functions).join(', ')} (snake_case also accepted)`);
  }
  return found;
}

export function getActivation(name: ActivationName): (x: Tensor) => Tensor {
  return functions[name];
}
