/**
 * ONNX export of Functional graphs with the merge layers (Add, Subtract, Multiply, Average,
 * Maximum, Minimum, Concatenate), checked in onnxruntime-node against convlab's predict
 * (≤ 1e-5): ResNet-style blocks, one model per merge layer, n-ary merges, merges of rank-2
 * tensors, and the shared Keras ResNets (15-… CIFAR-10 ResNet-20, 40-… MNIST ResNet).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { input, layers, loadLayersModel, model as functionalModel, setSeed, type SymbolicTensor } from '../../src/index.js';
import { exportOnnx } from '../../src/io/index.js';
import { onnxType } from '../../src/io/onnx/schema.js';
import type { LayersModel } from '../../src/models/layers_model.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { maxAbsDiff, randomInput } from './helpers/data.js';
import { perturbWeights, predictData } from './helpers/models.js';

const TOLERANCE = 1e-5;
const SHARED = '/work/shared/keras-models';

async function runOnnx(bytes: Uint8Array, x: Tensor): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.data), [...x.shape]) });
  return out[session.outputNames[0]].data as Float32Array;
}

async function check(model: LayersModel, x: Tensor): Promise<number> {
  const bytes = exportOnnx(model);
  const ours = predictData(model as never, x);
  const theirs = await runOnnx(bytes, x);
  assert.equal(theirs.length, ours.length);
  const diff = maxAbsDiff(ours, theirs);
  assert.ok(diff <= TOLERANCE, `max abs difference from ONNX Runtime ${diff}`);
  if (process.env.CONVLAB_REPORT) console.log(`# ${model.name}: max abs difference ${diff.toExponential(2)}`);
  return diff;
}

const apply = (layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, x: SymbolicTensor | SymbolicTensor[]): SymbolicTensor => layer.apply(x) as SymbolicTensor;

function resnetBlock(): LayersModel {
  const x = input({ shape: [8, 8, 3] });
  const stem = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }), x);
  let h = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), stem);
  h = apply(layers.batchNormalization(), h);
  h = apply(layers.activation({ activation: 'relu' }), h);
  h = apply(layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), h);
  h = apply(layers.batchNormalization(), h);
  const sum = apply(layers.add(), [stem, h]);
  let out = apply(layers.activation({ activation: 'relu' }), sum);
  // A projection shortcut with strides, as ResNet's downsampling blocks.
  const down = apply(layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }), out);
  const proj = apply(layers.conv2d({ filters: 6, kernelSize: 1, strides: 2 }), out);
  out = apply(layers.activation({ activation: 'relu' }), apply(layers.add(), [down, proj]));
  out = apply(layers.globalAveragePooling2d(), out);
  return functionalModel({ inputs: x, outputs: apply(layers.dense({ units: 5, activation: 'softmax' }), out) });
}

/** Two branches of the same shape from one input, joined by `merge`, then flattened to a Dense. */
function mergeModel(merge: () => { apply(x: SymbolicTensor[]): unknown }, skipFromInput: boolean): LayersModel {
  const x = input({ shape: [5, 4, 3] });
  const a = skipFromInput ? x : apply(layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'tanh' }), x);
  const b = apply(layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same' }), x);
  const joined = apply(merge(), [a, b]);
  const flat = apply(layers.flatten(), joined);
  return functionalModel({ inputs: x, outputs: apply(layers.dense({ units: 4 }), flat) });
}

const merges: [string, () => { apply(x: SymbolicTensor[]): unknown }][] = [
  ['Add', () => layers.add()],
  ['Subtract', () => layers.subtract()],
  ['Multiply', () => layers.multiply()],
  ['Average', () => layers.average()],
  ['Maximum', () => layers.maximum()],
  ['Minimum', () => layers.minimum()],
  ['Concatenate', () => layers.concatenate()],
];

describe('ONNX export of Functional graphs, checked in onnxruntime-node (≤ 1e-5)', () => {
  it('a ResNet-style model: Add blocks with identity and strided projection shortcuts, batch norm, global pooling', async () => {
    setSeed(3);
    const m = resnetBlock();
    perturbWeights(m as never);
    await check(m, randomInput([4, 8, 8, 3], 1, -1, 1));
    // A tensor read by several layers is transposed once, not once per reader.
    const graph = onnxType('ModelProto').decode(exportOnnx(m)) as unknown as { graph: { node: { opType: string; input: string[]; attribute: { ints?: unknown[] }[] }[] } };
    const transposes = graph.graph.node.filter((n) => n.opType === 'Transpose').map((n) => `${n.input[0]}|${JSON.stringify(n.attribute[0].ints)}`);
    assert.equal(new Set(transposes).size, transposes.length, transposes.join(', '));
  });

  for (const [name, merge] of merges) {
    for (const skip of [false, true]) {
      it(`${name} of two convolution branches${skip ? ' (one the raw NHWC input, one NCHW after a convolution)' : ''}, then Flatten (Keras's element order)`, async () => {
        setSeed(10 + name.length);
        const m = mergeModel(merge, skip);
        perturbWeights(m as never);
        await check(m, randomInput([3, 5, 4, 3], 2, -2, 2));
      });
    }
  }

  it('n-ary merges (Add, Maximum, Average, Concatenate of three) and merges of rank-2 tensors', async () => {
    setSeed(21);
    const x = input({ shape: [6, 6, 2] });
    const branches = [1, 2, 3].map((k) => apply(layers.conv2d({ filters: 2, kernelSize: k, padding: 'same' }), x));
    const pooled = (t: SymbolicTensor) => apply(layers.globalAveragePooling2d(), t);
    const four = apply(layers.concatenate(), [
      pooled(apply(layers.add(), branches)),
      pooled(apply(layers.maximum(), branches)),
      pooled(apply(layers.average(), branches)),
      apply(layers.flatten(), apply(layers.concatenate(), branches)),
    ]);
    const d1 = apply(layers.dense({ units: 5, activation: 'relu' }), four);
    const d2 = apply(layers.dense({ units: 5 }), four);
    const rank2 = apply(layers.subtract(), [apply(layers.multiply(), [d1, d2]), apply(layers.minimum(), [d1, d2])]);
    const m = functionalModel({ inputs: x, outputs: apply(layers.dense({ units: 3, activation: 'softmax' }), rank2) });
    perturbWeights(m as never);
    await check(m, randomInput([2, 6, 6, 2], 4, -1, 1));
  });

  const skip = existsSync(SHARED) && existsSync('/work/shared/datasets/mnist') ? false : 'no ../shared/keras-models or datasets';
  it('the shared Keras ResNets: 15-… (tf.keras 2.10 ResNet-20, Add ×9) and 40-… (Keras 3.11, Add ×2 and ReLU layers)', { skip }, async () => {
    const resnet20 = await loadLayersModel(`${SHARED}/15-bhartiansh-cnn_pruning_cifar10-baseline_resnet20.h5`);
    await check(resnet20, randomInput([2, 32, 32, 3], 5, -2, 2));
    const mnist = await loadLayersModel(`${SHARED}/40-ibukye-Number_recognition_ResNet-resnet_mnist.keras`);
    // Real digits (random pixels saturate its softmax), as the author prepared them: / 255.
    const images = gunzipSync(readFileSync('/work/shared/datasets/mnist/t10k-images-idx3-ubyte.gz'));
    await check(mnist, new Tensor(Float32Array.from(images.subarray(16, 16 + 8 * 784), (v) => v / 255), [8, 28, 28, 1]));
  });
});
