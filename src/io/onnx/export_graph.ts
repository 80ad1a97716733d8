/**
 * ONNX export of a Functional model: the graph's nodes in order, each layer exported on the value
 * its input tensor got, and the merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
 * Concatenate) as ONNX's n-ary elementwise ops and Concat. Each tensor keeps the layout its
 * producer left it in (NCHW after a convolution); a merge brings its inputs to one layout first
 * (NCHW when any already is, so a ResNet block's skip path is transposed once, not every branch),
 * and Concatenate's Keras axis is mapped to that layout.
 */
import type { Layer, SymbolicShape } from '../../layers/index.js';
import type { Functional } from '../../models/functional.js';
import { exportLayer, type Exporter, type Layout } from './export.js';

export const MERGE_LAYERS = ['Add', 'Subtract', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Concatenate'];

interface Value {
  name: string;
  layout: Layout;
}

/** Keras's axis of a rank-`rank` tensor as the axis of the same data in `layout`. */
function onnxAxis(kerasAxis: number, rank: number, layout: Layout): number {
  const axis = kerasAxis < 0 ? kerasAxis + rank : kerasAxis;
  if (layout !== 'NCHW') return axis;
  // NHWC axis -> NCHW axis: batch 0, height 1 -> 2, width 2 -> 3, channels 3 -> 1.
  return [0, 2, 3, 1][axis];
}

function exportMerge(e: Exporter, layer: Layer & { axis?: number }, inputs: Value[], shapes: SymbolicShape[]): void {
  const rank = shapes[0].length;
  const layout: Layout = rank !== 4 ? 'other' : inputs.some((v) => v.layout === 'NCHW') ? 'NCHW' : 'NHWC';
  const values = inputs.map((v) => {
    e.value = v.name;
    e.layout = v.layout;
    if (layout === 'NCHW') e.toNCHW(layer.name);
    else if (layout === 'NHWC') e.toNHWC(layer.name);
    return e.value;
  });
  e.layout = layout;
  const g = e.g;
  switch (layer.className) {
    case 'Add': e.value = g.node(values.length === 2 ? 'Add' : 'Sum', values, layer.name); break;
    case 'Subtract': e.value = g.node('Sub', values, layer.name); break;
    case 'Multiply': e.value = values.slice(1).reduce((acc, v) => g.node('Mul', [acc, v], layer.name), values[0]); break;
    case 'Average': e.value = g.node('Mean', values, layer.name); break;
    case 'Maximum': e.value = g.node('Max', values, layer.name); break;
    case 'Minimum': e.value = g.node('Min', values, layer.name); break;
    case 'Concatenate': e.value = g.node('Concat', values, layer.name, { axis: onnxAxis(layer.axis ?? -1, rank, layout) }); break;
    default: throw new Error(`ONNX export: merge layer '${layer.name}' (${layer.className}) is not supported`);
  }
}

/** Adds a Functional model's graph to `e`, which starts at the model's input; leaves `e` at its output. */
export function exportGraph(e: Exporter, model: Functional): void {
  const values = new Map<number, Value>([[model.input.id, { name: e.value, layout: e.layout }]]);
  for (const node of model.graph()) {
    const inputs = node.inputs.map((t) => {
      const v = values.get(t.id);
      if (!v) throw new Error(`ONNX export: tensor '${t.name}' (an input of layer '${node.layer.name}') is not computed from the model's input`);
      return v;
    });
    if (MERGE_LAYERS.includes(node.layer.className)) {
      exportMerge(e, node.layer, inputs, node.inputs.map((t) => t.shape));
    } else {
      if (inputs.length !== 1) throw new Error(`ONNX export: layer '${node.layer.name}' (${node.layer.className}) takes ${inputs.length} inputs; only merge layers (${MERGE_LAYERS.join(', ')}) take several`);
      e.value = inputs[0].name;
      e.layout = inputs[0].layout;
      exportLayer(e, node.layer, node.inputs[0].shape);
    }
    values.set(node.output.id, { name: e.value, layout: e.layout });
  }
  const out = values.get(model.output.id)!;
  e.value = out.name;
  e.layout = out.layout;
}
