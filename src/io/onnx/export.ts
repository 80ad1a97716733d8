import type { Layer, SymbolicShape } from '../../layers/index.js';
import { Sequential } from '../../models/sequential.js';
import type { LayersModel } from '../../models/layers_model.js';
import { Functional } from '../../models/functional.js';
import { MERGE_LAYERS, exportGraph } from './export_graph.js';
import { outputLength, type Padding } from '../../ops/conv_util.js';
import { CONVLAB_VERSION } from '../topology.js';
import { GraphBuilder, valueInfo, type AttrValue } from './graph.js';
import { onnxType } from './schema.js';
import { kerasActivation, kerasLayerExporters } from './export_keras_layers.js';

/**
 * Exports a Sequential model, or a Functional graph (branches joined by merge layers:
 * src/io/onnx/export_graph.ts), as an ONNX inference graph (opset 13).
 *
 * Keras is channels-last (NHWC) and ONNX's Conv/Pool/BatchNormalization are channels-first
 * (NCHW). The graph keeps the model's own NHWC input and output; a Transpose to NCHW is inserted
 * only before an op that needs it, and a Transpose back to NHWC before anything whose result
 * depends on the element order (Flatten, Dense on 4-D input, softmax over channels, the output),
 * so Flatten produces Keras's (h, w, c) order and the Dense weights work unchanged.
 */

export interface OnnxExportOptions {
  /** Graph input and output names (default 'input' and 'output'). */
  inputName?: string;
  outputName?: string;
  /** A fixed batch size, or null (default) for a dynamic 'batch' dimension. */
  batchSize?: number | null;
}

export type Layout = 'NHWC' | 'NCHW' | 'other';

const OPSET = 13;
const IR_VERSION = 7;

export class Exporter {
  readonly g = new GraphBuilder();
  value: string;
  layout: Layout;
  shape: SymbolicShape;

  constructor(input: string, shape: SymbolicShape) {
    this.value = input;
    this.shape = shape;
    this.layout = shape.length === 4 ? 'NHWC' : 'other';
  }

  /** Transposes already made, by source value: in a graph, branches that read one tensor share its transpose. */
  private readonly transposed = new Map<string, string>();

  private transpose(perm: number[], base: string): void {
    const key = `${this.value}|${perm.join(',')}`;
    let out = this.transposed.get(key);
    if (out === undefined) {
      out = this.g.node('Transpose', [this.value], base, { perm });
      this.transposed.set(key, out);
    }
    this.value = out;
  }

  toNCHW(base: string): void {
    if (this.layout === 'NHWC') {
      this.transpose([0, 3, 1, 2], base);
      this.layout = 'NCHW';
    }
  }

  toNHWC(base: string): void {
    if (this.layout === 'NCHW') {
      this.transpose([0, 2, 3, 1], base);
      this.layout = 'NHWC';
    }
  }

  activation(name: string, base: string): void {
    const simple: Record<string, [string, Record<string, AttrValue>]> = {
      relu: ['Relu', {}], tanh: ['Tanh', {}], sigmoid: ['Sigmoid', {}],
      elu: ['Elu', { alpha: { float: 1 } }], leakyRelu: ['LeakyRelu', { alpha: { float: 0.3 } }],
    };
    if (name === 'linear') return;
    if (name === 'softmax') {
      // Keras's softmax runs over the last axis, which is channels only in NHWC.
      this.toNHWC(base);
      this.value = this.g.node('Softmax', [this.value], base, { axis: -1 });
      return;
    }
    const op = simple[name];
    if (!op && kerasActivation(this, name, base)) return;
    if (!op) throw new Error(`ONNX export: activation '${name}' has no ONNX equivalent here`);
    this.value = this.g.node(op[0], [this.value], base, op[1]);
  }
}

/** Explicit [top, left, bottom, right] pads for TensorFlow's 'same' (extra cell at the end). */
function pads(inputShape: SymbolicShape, window: [number, number], strides: [number, number], dilation: [number, number], padding: Padding): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const result: number[] = [];
  const totals: number[] = [];
  for (const axis of [0, 1] as const) {
    const size = inputShape[axis + 1] as number;
    const { out, padBefore } = outputLength(size, window[axis], strides[axis], dilation[axis], padding);
    const effective = (window[axis] - 1) * dilation[axis] + 1;
    const total = Math.max((out - 1) * strides[axis] + effective - size, 0);
    result.push(padBefore);
    totals.push(total - padBefore);
  }
  return [...result, ...totals];
}

/** Conv2D kernel HWIO [kh, kw, in, out] → ONNX OIHW [out, in, kh, kw]. */
function kernelToOIHW(data: ArrayLike<number>, [kh, kw, cin, cout]: readonly number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < cin; i++) for (let o = 0; o < cout; o++) {
    out[((o * cin + i) * kh + y) * kw + x] = data[((y * kw + x) * cin + i) * cout + o];
  }
  return out;
}

type LayerExport = (e: Exporter, layer: Layer & Record<string, any>, inShape: SymbolicShape) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

function requireRank4(layer: Layer, shape: SymbolicShape): void {
  if (shape.length !== 4 || shape.slice(1).some((d) => d === null)) {
    throw new Error(`ONNX export: layer '${layer.name}' (${layer.className}) needs a fully known rank-4 input, has ${JSON.stringify(shape)}`);
  }
}

const exporters: Record<string, LayerExport> = {
  Conv2D: (e, layer, inShape) => {
    requireRank4(layer, inShape);
    e.toNCHW(layer.name);
    const kernel = layer.kernel.value;
    const w = e.g.constant(`${layer.name}/kernel`, [kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]], kernelToOIHW(kernel.data, kernel.shape));
    const inputs = [e.value, w];
    if (layer.bias) inputs.push(e.g.constant(`${layer.name}/bias`, [layer.bias.value.size], layer.bias.value.data));
    e.value = e.g.node('Conv', inputs, layer.name, {
      kernel_shape: [...layer.kernelSize], strides: [...layer.strides], dilations: [...layer.dilationRate],
      pads: pads(inShape, layer.kernelSize, layer.strides, layer.dilationRate, layer.padding), group: 1,
    });
    e.activation(layer.activation, layer.name);
  },
  MaxPooling2D: (e, layer, inShape) => pool(e, layer, inShape, 'MaxPool'),
  AveragePooling2D: (e, layer, inShape) => pool(e, layer, inShape, 'AveragePool'),
  GlobalAveragePooling2D: (e, layer, inShape) => {
    requireRank4(layer, inShape);
    e.toNCHW(layer.name);
    e.value = e.g.node('GlobalAveragePool', [e.value], layer.name);
    e.value = e.g.node('Flatten', [e.value], layer.name, { axis: 1 });
    e.layout = 'other';
  },
  Flatten: (e, layer, inShape) => {
    e.toNHWC(layer.name);
    if (inShape.length > 2) e.value = e.g.node('Flatten', [e.value], layer.name, { axis: 1 });
    e.layout = 'other';
  },
  Dense: (e, layer, inShape) => {
    e.toNHWC(layer.name);
    const kernel = layer.kernel.value;
    const k = e.g.constant(`${layer.name}/kernel`, [...kernel.shape], kernel.data);
    if (inShape.length === 2) {
      const inputs = [e.value, k];
      if (layer.bias) inputs.push(e.g.constant(`${layer.name}/bias`, [layer.bias.value.size], layer.bias.value.data));
      e.value = e.g.node('Gemm', inputs, layer.name);
    } else {
      e.value = e.g.node('MatMul', [e.value, k], layer.name);
      if (layer.bias) e.value = e.g.node('Add', [e.value, e.g.constant(`${layer.name}/bias`, [layer.bias.value.size], layer.bias.value.data)], layer.name);
    }
    e.activation(layer.activation, layer.name);
  },
  Activation: (e, layer) => e.activation(layer.activation, layer.name),
  Rescaling: (e, layer) => {
    e.value = e.g.node('Mul', [e.value, e.g.constant(`${layer.name}/scale`, [], [layer.scale])], layer.name);
    if (layer.offset !== 0) e.value = e.g.node('Add', [e.value, e.g.constant(`${layer.name}/offset`, [], [layer.offset])], layer.name);
  },
  BatchNormalization: (e, layer, inShape) => {
    if (inShape.length === 4) e.toNCHW(layer.name);
    else if (inShape.length !== 2) throw new Error(`ONNX export: BatchNormalization '${layer.name}' on rank-${inShape.length} input is not supported (rank 2 or 4 only)`);
    const channels = layer.movingMean.value.size;
    const ones = new Float32Array(channels).fill(1);
    const zeros = new Float32Array(channels);
    e.value = e.g.node('BatchNormalization', [
      e.value,
      e.g.constant(`${layer.name}/gamma`, [channels], layer.gamma ? layer.gamma.value.data : ones),
      e.g.constant(`${layer.name}/beta`, [channels], layer.beta ? layer.beta.value.data : zeros),
      e.g.constant(`${layer.name}/moving_mean`, [channels], layer.movingMean.value.data),
      e.g.constant(`${layer.name}/moving_variance`, [channels], layer.movingVariance.value.data),
    ], layer.name, { epsilon: { float: layer.epsilon } });
  },
};

// Layers that are the identity at inference time.
for (const name of ['Dropout', 'RandomFlip', 'RandomTranslation', 'RandomErasing']) exporters[name] = () => undefined;
Object.assign(exporters, kerasLayerExporters);

function pool(e: Exporter, layer: Layer & Record<string, any>, inShape: SymbolicShape, op: 'MaxPool' | 'AveragePool'): void { // eslint-disable-line @typescript-eslint/no-explicit-any
  requireRank4(layer, inShape);
  e.toNCHW(layer.name);
  const attrs: Record<string, AttrValue> = {
    kernel_shape: [...layer.poolSize], strides: [...layer.strides], pads: pads(inShape, layer.poolSize, layer.strides, [1, 1], layer.padding),
  };
  // Keras averages over the window cells inside the image only.
  if (op === 'AveragePool') attrs.count_include_pad = 0;
  e.value = e.g.node(op, [e.value], layer.name, attrs);
}

/** Exports one layer applied to the exporter's current value, whose shape is `inShape`. */
export function exportLayer(e: Exporter, layer: Layer, inShape: SymbolicShape): void {
  // A model nested as a layer (a base model): its layers in place, as if they were the parent's.
  if (layer instanceof Functional) return exportGraph(e, layer);
  if (layer instanceof Sequential) {
    const shapes = layer.outputShapes();
    layer.layers.forEach((inner, i) => exportLayer(e, inner, i === 0 ? inShape : shapes[i - 1]));
    return;
  }
  const exporter = Object.hasOwn(exporters, layer.className) ? exporters[layer.className] : null;
  if (!exporter) throw new Error(`ONNX export: layer '${layer.name}' (${layer.className}) is not supported; supported: ${[...Object.keys(exporters), ...MERGE_LAYERS].join(', ')}`);
  exporter(e, layer as Layer & Record<string, any>, inShape); // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The model (Sequential, or a Functional graph with merge layers) as ONNX protobuf bytes, checkable with onnxruntime or `onnx.checker`. */
export function exportOnnx(model: LayersModel, options: OnnxExportOptions = {}): Uint8Array {
  const graph = model as unknown as { multiIO?: boolean; inputs: unknown[]; outputs: unknown[] };
  if (graph.multiIO) throw new Error(`ONNX export: model '${model.name}' has ${graph.inputs.length} inputs and ${graph.outputs.length} outputs; convlab exports models with one input and one output to ONNX (save it as .keras, .h5 or in the TF.js format instead)`);
  // A Functional model is built by construction; a Sequential once its input shape is known.
  if (!(model instanceof Functional) && !(model as Sequential).built) throw new Error(`ONNX export: model '${model.name}' is not built; give its first layer an inputShape`);
  const inputShape = (model as Sequential | Functional).inputShape;
  if (inputShape.slice(1).some((d) => d === null)) throw new Error(`ONNX export: the input shape ${JSON.stringify(inputShape)} must be fully known apart from the batch axis`);
  const batch = options.batchSize ?? 'batch';
  const inputName = options.inputName ?? 'input';
  const outputName = options.outputName ?? 'output';
  const e = new Exporter(inputName, inputShape);
  if (model instanceof Functional) {
    exportGraph(e, model);
  } else {
    const sequential = model as Sequential;
    const shapes = sequential.outputShapes();
    sequential.layers.forEach((layer, i) => exportLayer(e, layer, i === 0 ? inputShape : shapes[i - 1]));
  }
  e.toNHWC('output');
  const outShape = (model as Sequential | Functional).outputShape;
  // The output gets its own name through an Identity, whatever the last node was.
  e.g.nodes.push({ name: `${outputName}/Identity`, opType: 'Identity', input: [e.value], output: [outputName], attribute: [] });
  const message = {
    irVersion: IR_VERSION,
    producerName: 'convlab',
    producerVersion: CONVLAB_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: model.name,
      node: e.g.nodes,
      initializer: e.g.initializers,
      input: [valueInfo(inputName, [batch, ...(inputShape.slice(1) as number[])])],
      output: [valueInfo(outputName, [batch, ...(outShape.slice(1) as number[])])],
    },
  };
  const type = onnxType('ModelProto');
  const problem = type.verify(message);
  if (problem) throw new Error(`ONNX export: internal error building the protobuf: ${problem}`);
  return type.encode(type.fromObject(message)).finish();
}
