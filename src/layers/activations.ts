import { elu, leakyRelu, relu, sigmoid, softmax, tanh } from '../ops/nn.js';
import { exponential, gelu, hardSigmoid, hardSigmoidKeras3, relu6, selu, softplus, softsign, swish } from '../ops/pointwise.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Activation names as TF.js writes them in a config ('exponential' is Keras-only). 'hardSigmoid'
 * is TF.js's and Keras 2's clip(0.2x + 0.5, 0, 1); 'hardSigmoidKeras3' is Keras 3's relu6(x + 3) / 6.
 */
export type ActivationName = 'linear' | 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'elu' | 'leakyRelu'
  | 'relu6' | 'swish' | 'gelu' | 'gelu_new' | 'hardSigmoid' | 'hardSigmoidKeras3' | 'selu' | 'softplus' | 'softsign' | 'exponential';

const functions: Record<ActivationName, (x: Tensor) => Tensor> = {
  linear: (x) => x,
  relu,
  tanh,
  sigmoid,
  softmax,
  elu: (x) => elu(x, 1),
  leakyRelu: (x) => leakyRelu(x, 0.3),
  relu6,
  swish,
  gelu: (x) => gelu(x, false),
  gelu_new: (x) => gelu(x, true),
  hardSigmoid,
  hardSigmoidKeras3,
  selu,
  softplus,
  softsign,
  exponential,
};

const aliases: Record<string, ActivationName> = {
  linear: 'linear', relu: 'relu', tanh: 'tanh', sigmoid: 'sigmoid', softmax: 'softmax', elu: 'elu',
  leakyrelu: 'leakyRelu', leaky_relu: 'leakyRelu',
  relu6: 'relu6', swish: 'swish', silu: 'swish', gelu: 'gelu', gelu_new: 'gelu_new', gelunew: 'gelu_new',
  hardsigmoid: 'hardSigmoid', hard_sigmoid: 'hardSigmoid',
  // Keras 3's hard_sigmoid, relu6(x + 3) / 6; Keras files say 'hard_sigmoid' for both (src/io/keras/activation_versions.ts).
  hardsigmoidkeras3: 'hardSigmoidKeras3', hard_sigmoid_keras3: 'hardSigmoidKeras3', selu: 'selu', softplus: 'softplus', softsign: 'softsign',
  exponential: 'exponential',
};

/** Accepts TF.js names ('leakyRelu') and Keras names ('leaky_relu', 'silu'); null/undefined means linear. */
export function normalizeActivation(name: string | null | undefined): ActivationName {
  if (name === undefined || name === null) return 'linear';
  const found = (Object.hasOwn(aliases, name) ? aliases[name] : undefined) ?? (Object.hasOwn(aliases, name.toLowerCase()) ? aliases[name.toLowerCase()] : undefined);
  if (!found) {
    throw new Error(`Unknown activation '${name}'; expected one of ${Object.keys(functions).join(', ')} (snake_case also accepted)`);
  }
  return found;
}

export function getActivation(name: ActivationName): (x: Tensor) => Tensor {
  return functions[name];
}
