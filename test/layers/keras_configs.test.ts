import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layers, sequential, setSeed, ModelFormatError, type Sequential } from '../../src/index.js';
import { artifactsToModel, modelToArtifacts } from '../../src/io/model_io.js';
import { noGrad } from '../../src/autograd/tape.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';

/**
 * Layer configs as Keras itself writes them (snake_case keys, Keras 2 and Keras 3 argument
 * names, floats such as 6.0, initializer objects) read through the TF.js-format registry, which
 * is how the .keras/.h5 loader reaches these layers.
 */

function perturb(model: Sequential): void {
  const rng = new Random(3);
  for (const w of model.weights) for (let i = 0; i < w.value.size; i++) w.value.data[i] = /variance|gamma$/.test(w.name) ? rng.uniform(0.5, 1.5) : rng.uniform(-0.5, 0.5);
}

const glorot = { class_name: 'GlorotUniform', config: { seed: null } };
const zeros = { class_name: 'Zeros', config: {} };

/** Loads `keras` (a Keras layer list) with the weights of `built`, which names the same layers. */
function loadKerasConfig(built: Sequential, kerasLayers: unknown[]): Sequential {
  const artifacts = modelToArtifacts(built);
  const topology = { class_name: 'Sequential', config: { name: 'from_keras', layers: kerasLayers }, keras_version: '2.15.0', backend: 'tensorflow' };
  return artifactsToModel({ ...artifacts, modelTopology: topology }) as Sequential;
}

function sameOutputs(a: Sequential, b: Sequential, shape: number[], vocab?: number): void {
  const rng = new Random(8);
  const n = shape.reduce((p, d) => p * d, 1);
  const x = new Tensor(Float32Array.from({ length: n }, () => (vocab ? rng.int(vocab) : rng.uniform(-1, 1))), shape);
  assert.deepEqual(Array.from(noGrad(() => b.predict(x).data)), Array.from(noGrad(() => a.predict(x).data)));
}

describe('Keras-written configs of the new layers', () => {
  it('a MobileNet-style image stack (Keras 2 names, InputLayer with batch_input_shape)', () => {
    setSeed(1);
    const built = sequential({ layers: [
      layers.inputLayer({ inputShape: [8, 8, 3] }),
      layers.zeroPadding2d({ padding: [[0, 1], [0, 1]], name: 'pad' }),
      layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, useBias: false, name: 'conv' }),
      layers.batchNormalization({ name: 'bn' }),
      layers.reLU({ maxValue: 6, name: 'relu6' }),
      layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }),
      layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'hard_sigmoid', name: 'sep' }),
      layers.upSampling2d({ size: 2, interpolation: 'bilinear', name: 'up' }),
      layers.cropping2d({ cropping: 1, name: 'crop' }),
      layers.leakyReLU({ alpha: 0.1, name: 'leaky' }),
      layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 2, padding: 'same', activation: 'silu', name: 'deconv' }),
      layers.globalMaxPooling2d({ name: 'gmp' }),
      layers.dense({ units: 3, activation: 'gelu', name: 'out' }),
      layers.softmax({ name: 'softmax' }),
    ] });
    perturb(built);
    const base = { trainable: true, dtype: 'float32' };
    const loaded = loadKerasConfig(built, [
      { class_name: 'InputLayer', config: { batch_input_shape: [null, 8, 8, 3], dtype: 'float32', sparse: false, ragged: false, name: 'input_1' } },
      { class_name: 'ZeroPadding2D', config: { ...base, name: 'pad', padding: [[0, 1], [0, 1]], data_format: 'channels_last' } },
      { class_name: 'Conv2D', config: { ...base, name: 'conv', filters: 4, kernel_size: [3, 3], strides: [2, 2], padding: 'valid', data_format: 'channels_last', dilation_rate: [1, 1], groups: 1, activation: 'linear', use_bias: false, kernel_initializer: glorot, bias_initializer: zeros, kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null } },
      { class_name: 'BatchNormalization', config: { ...base, name: 'bn', axis: [3], momentum: 0.99, epsilon: 0.001, center: true, scale: true, beta_initializer: zeros, gamma_initializer: { class_name: 'Ones', config: {} }, moving_mean_initializer: zeros, moving_variance_initializer: { class_name: 'Ones', config: {} } } },
      { class_name: 'ReLU', config: { ...base, name: 'relu6', max_value: 6.0, negative_slope: 0.0, threshold: 0.0 } },
      { class_name: 'DepthwiseConv2D', config: { ...base, name: 'dw', kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], depth_multiplier: 1, activation: 'linear', use_bias: true, bias_initializer: zeros, depthwise_initializer: glorot, depthwise_regularizer: null, depthwise_constraint: null, bias_regularizer: null, activity_regularizer: null, bias_constraint: null } },
      { class_name: 'SeparableConv2D', config: { ...base, name: 'sep', filters: 5, kernel_size: [3, 3], strides: [1, 1], padding: 'same', data_format: 'channels_last', dilation_rate: [1, 1], depth_multiplier: 1, activation: 'hard_sigmoid', use_bias: true, depthwise_initializer: glorot, pointwise_initializer: glorot, bias_initializer: zeros } },
      { class_name: 'UpSampling2D', config: { ...base, name: 'up', size: [2, 2], data_format: 'channels_last', interpolation: 'bilinear' } },
      { class_name: 'Cropping2D', config: { ...base, name: 'crop', cropping: [[1, 1], [1, 1]], data_format: 'channels_last' } },
      // Keras 3 spells LeakyReLU's slope negative_slope.
      { class_name: 'LeakyReLU', config: { ...base, name: 'leaky', negative_slope: 0.1 } },
      { class_name: 'Conv2DTranspose', config: { ...base, name: 'deconv', filters: 2, kernel_size: [2, 2], strides: [2, 2], padding: 'same', output_padding: null, data_format: 'channels_last', dilation_rate: [1, 1], activation: 'silu', use_bias: true, kernel_initializer: glorot, bias_initializer: zeros } },
      { class_name: 'GlobalMaxPooling2D', config: { ...base, name: 'gmp', data_format: 'channels_last', keepdims: false } },
      { class_name: 'Dense', config: { ...base, name: 'out', units: 3, activation: 'gelu', use_bias: true, kernel_initializer: glorot, bias_initializer: zeros } },
      { class_name: 'Softmax', config: { ...base, name: 'softmax', axis: -1 } },
    ]);
    assert.equal(loaded.layers.length, 13);
    assert.deepEqual(loaded.inputShape, [null, 8, 8, 3]);
    sameOutputs(built, loaded, [2, 8, 8, 3]);
  });

  it('a 1-D text-style stack: Embedding, Conv1D causal, pooling, Reshape, Permute, LayerNormalization', () => {
    setSeed(2);
    const built = sequential({ layers: [
      layers.embedding({ inputDim: 20, outputDim: 4, inputLength: 10, name: 'emb' }),
      layers.conv1d({ filters: 6, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'relu6', name: 'conv1d' }),
      layers.maxPooling1d({ poolSize: 2, name: 'pool' }),
      layers.layerNormalization({ name: 'ln' }),
      layers.reshape({ targetShape: [6, 5], name: 'reshape' }),
      layers.permute({ dims: [2, 1], name: 'permute' }),
      layers.globalAveragePooling1d({ name: 'gap' }),
      layers.dense({ units: 2, activation: 'softplus', name: 'out' }),
    ] });
    perturb(built);
    const base = { trainable: true, dtype: 'float32' };
    const loaded = loadKerasConfig(built, [
      { class_name: 'Embedding', config: { ...base, name: 'emb', batch_input_shape: [null, 10], input_dim: 20, output_dim: 4, embeddings_initializer: { class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } }, embeddings_regularizer: null, activity_regularizer: null, embeddings_constraint: null, mask_zero: false, input_length: 10 } },
      { class_name: 'Conv1D', config: { ...base, name: 'conv1d', filters: 6, kernel_size: [3], strides: [1], padding: 'causal', data_format: 'channels_last', dilation_rate: [2], groups: 1, activation: 'relu6', use_bias: true, kernel_initializer: glorot, bias_initializer: zeros } },
      { class_name: 'MaxPooling1D', config: { ...base, name: 'pool', strides: [2], pool_size: [2], padding: 'valid', data_format: 'channels_last' } },
      { class_name: 'LayerNormalization', config: { ...base, name: 'ln', axis: [2], epsilon: 0.001, center: true, scale: true, beta_initializer: zeros, gamma_initializer: { class_name: 'Ones', config: {} } } },
      { class_name: 'Reshape', config: { ...base, name: 'reshape', target_shape: [6, 5] } },
      { class_name: 'Permute', config: { ...base, name: 'permute', dims: [2, 1] } },
      { class_name: 'GlobalAveragePooling1D', config: { ...base, name: 'gap', data_format: 'channels_last', keepdims: false } },
      { class_name: 'Dense', config: { ...base, name: 'out', units: 2, activation: 'softplus', use_bias: true, kernel_initializer: glorot, bias_initializer: zeros } },
    ]);
    sameOutputs(built, loaded, [3, 10], 20);
  });

  it('refuses bad values with the layer, the field and the value', () => {
    setSeed(3);
    const built = sequential({ layers: [layers.reLU({ inputShape: [4], name: 'r' })] });
    const bad = (config: Record<string, unknown>, className = 'ReLU'): void => {
      assert.throws(() => loadKerasConfig(built, [{ class_name: className, config: { name: 'r', batch_input_shape: [null, 4], ...config } }]), ModelFormatError);
    };
    bad({ max_value: -1 });
    bad({ max_value: 'six' });
    assert.throws(() => loadKerasConfig(built, [{ class_name: 'ReLU', config: { name: 'r', batch_input_shape: [null, 4], max_value: 'six' } }]), /layer 'r' \(ReLU\): maxValue must be a finite number, received the string "six"/);
    assert.throws(() => loadKerasConfig(built, [{ class_name: 'Conv1D', config: { name: 'r', batch_input_shape: [null, 4, 1], filters: 1, kernel_size: [2], padding: 'full' } }]), /layer 'r' \(Conv1D\): padding must be one of 'valid', 'same', 'causal', received the string "full"/);
    assert.throws(() => loadKerasConfig(built, [{ class_name: 'Reshape', config: { name: 'r', batch_input_shape: [null, 4], target_shape: [0, 4] } }]), /layer 'r' \(Reshape\): targetShape\[0\] must be a positive integer, received number 0/);
    assert.throws(() => loadKerasConfig(built, [{ class_name: 'UpSampling2D', config: { name: 'r', batch_input_shape: [null, 4, 4, 1], interpolation: 'bicubic' } }]), /interpolation must be one of 'nearest', 'bilinear', received the string "bicubic"/);
    assert.throws(() => loadKerasConfig(built, [{ class_name: 'Embedding', config: { name: 'r', batch_input_shape: [null, 4], input_dim: 3, output_dim: 2, embeddings_regularizer: { class_name: 'L2', config: { l2: 0.01 } } } }]), /embeddingsRegularizer .* convlab does not support embeddingsRegularizer/);
  });
});

describe('InputLayer and argument errors of the new layers', () => {
  it('layers.inputLayer declares a Sequential input shape and is not kept as a layer', () => {
    const m = sequential({ layers: [layers.inputLayer({ inputShape: [5, 5, 2] }), layers.zeroPadding2d({ padding: 1 }), layers.globalMaxPooling2d()] });
    assert.deepEqual(m.inputShape, [null, 5, 5, 2]);
    assert.deepEqual(m.outputShape, [null, 2]);
    assert.equal(m.layers.length, 2);
    assert.deepEqual(m.getConfig().layers[0].config.batchInputShape, [null, 5, 5, 2]);
    assert.throws(() => sequential({ layers: [layers.dense({ units: 1, inputShape: [2] }), layers.inputLayer({ inputShape: [2] })] }), /an InputLayer \('input_layer.*'\) may only come first/);
    assert.throws(() => layers.inputLayer({}), /give inputShape/);
  });

  it('bad arguments name the layer, the argument and the value received', () => {
    assert.throws(() => layers.zeroPadding2d({ padding: -1 as never, name: 'p' }), /ZeroPadding2D 'p': padding must be a non-negative integer, \[height, width\] or \[\[top, bottom\], \[left, right\]\], received -1/);
    assert.throws(() => layers.cropping2d({ cropping: [[3, 3], [0, 0]], inputShape: [5, 5, 1], name: 'c' }).apply(new Tensor(new Float32Array(25), [1, 5, 5, 1])), /cropping \[\[3,3\],\[0,0\]\] leaves nothing/);
    assert.throws(() => layers.reshape({ targetShape: [-1, -1], name: 'r' }), /at most one -1, received \[-1,-1\]/);
    assert.throws(() => layers.permute({ dims: [0, 1], name: 'p' }), /dims must be a permutation of 1\.\.n .* received \[0,1\]/);
    assert.throws(() => layers.reLU({ maxValue: -2, name: 'r' }), /ReLU 'r': maxValue must be a finite number >= 0, received -2/);
    assert.throws(() => layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 0, name: 'd' }), /depthMultiplier must be a positive integer, received 0/);
    assert.throws(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, dilationRate: 2, strides: 2, name: 't' }), /Conv2DTranspose 't': dilationRate 2 with strides 2: strides other than 1 and dilation other than 1 cannot be combined/);
    assert.throws(() => layers.conv2dTranspose({ filters: 2, kernelSize: 3, strides: 2, outputPadding: 2, name: 't' }), /Conv2DTranspose 't': outputPadding 2 must be less than the strides \[2,2\]/);
    assert.throws(() => layers.conv1d({ filters: 2, kernelSize: 3, padding: 'full' as never, name: 'c' }), /padding must be 'valid', 'same' or 'causal', received "full"/);
    assert.throws(() => layers.upSampling2d({ interpolation: 'bicubic' as never, name: 'u' }), /interpolation must be 'nearest' or 'bilinear', received "bicubic"/);
    assert.throws(() => layers.normalization({ mean: 1, name: 'n' }), /give both mean and variance, or neither/);
    assert.throws(() => layers.embedding({ inputDim: 0, outputDim: 2, name: 'e' }), /inputDim must be a positive integer, received 0/);
    assert.throws(() => layers.embedding({ inputDim: 3, outputDim: 2, maskZero: true, name: 'e' }), /Embedding 'e': maskZero true is not supported/);
    assert.throws(() => layers.softmax({ axis: 0, name: 's' }), /axis must be one integer axis other than the batch axis/);
    assert.throws(() => layers.activation({ activation: 'mish' }), /Unknown activation 'mish'; expected one of .*relu6/);
    assert.throws(() => layers.subtract({ name: 's' }).applyTensors([new Tensor(new Float32Array(2), [1, 2])], false), /Subtract\) takes exactly 2 inputs, received 1/);
  });
});
