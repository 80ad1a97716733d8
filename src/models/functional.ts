import type { Layer, SymbolicShape } from '../layers/layer.js';
import { formatSymbolic, uniqueName } from '../layers/layer.js';
import { SymbolicTensor } from '../layers/symbolic.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor } from './data.js';
import { LayersModel } from './layers_model.js';
import { summaryTable } from './summary.js';

export interface InputArgs {
  /** Shape of one sample, without the batch axis: [28, 28, 1]. */
  shape: number[];
  name?: string;
}

/** The entry point of a model graph, as `tf.input({ shape })` / `keras.Input(shape)`. */
export function input(args: InputArgs): SymbolicTensor {
  if (!args || !Array.isArray(args.shape) || !args.shape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new Error(`input: shape must be an array of positive integers such as [28, 28, 1], received ${JSON.stringify(args?.shape)}`);
  }
  return new SymbolicTensor([null, ...args.shape], null, args.name ?? uniqueName('input'));
}

export interface GraphNode {
  layer: Layer;
  inputs: SymbolicTensor[];
  output: SymbolicTensor;
  /** The mode fixed at the call (`layer.apply(x, { training: false })`), else the model's. */
  training?: boolean;
}

/** Graph nodes from the inputs to `output`, each after the nodes it reads from. */
function topologicalNodes(input: SymbolicTensor, output: SymbolicTensor): GraphNode[] {
  const order: GraphNode[] = [];
  const done = new Set<number>();
  const visiting = new Set<number>();
  const visit = (t: SymbolicTensor): void => {
    if (done.has(t.id)) return;
    if (visiting.has(t.id)) throw new Error(`model: the graph has a cycle at '${t.name}'`);
    if (t.producer === null) {
      if (t !== input) throw new Error(`model: the output depends on input '${t.name}', which is not the model's input '${input.name}'`);
      done.add(t.id);
      return;
    }
    visiting.add(t.id);
    for (const i of t.producer.inputs) visit(i);
    visiting.delete(t.id);
    done.add(t.id);
    order.push({ layer: t.producer.layer, inputs: t.producer.inputs, output: t, training: t.producer.training });
  };
  visit(output);
  return order;
}

export interface FunctionalArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

function single(value: SymbolicTensor | SymbolicTensor[], what: string): SymbolicTensor {
  const list = Array.isArray(value) ? value : [value];
  if (list.length !== 1 || !(list[0] instanceof SymbolicTensor)) {
    throw new Error(`model: expected one symbolic ${what} tensor (from input() or layer.apply()), received ${Array.isArray(value) ? `${value.length} items` : typeof value}; several inputs or outputs are not supported yet`);
  }
  return list[0];
}

/**
 * A model whose layers form a graph (TF.js's `tf.model`, Keras's functional API): branches and
 * skip connections, as in residual networks. One input and one output.
 */
export class Functional extends LayersModel {
  readonly className = 'Functional';
  readonly input: SymbolicTensor;
  readonly output: SymbolicTensor;
  readonly layers: Layer[];
  private readonly nodes: GraphNode[];

  constructor(args: FunctionalArgs) {
    super(args.name ?? uniqueName('model'));
    this.input = single(args.inputs, 'input');
    this.output = single(args.outputs, 'output');
    this.nodes = topologicalNodes(this.input, this.output);
    if (this.nodes.length === 0) throw new Error('model: the output is the input itself; add at least one layer');
    this.layers = [...new Set(this.nodes.map((n) => n.layer))];
  }

  /** The graph's nodes, each after the nodes it reads from (for saving and inspection). */
  graph(): readonly GraphNode[] {
    return this.nodes;
  }

  protected outputLayer(): Layer {
    return this.nodes[this.nodes.length - 1].layer;
  }

  get inputShape(): SymbolicShape {
    return this.input.shape;
  }

  get outputShape(): SymbolicShape {
    return this.output.shape;
  }

  checkInput(x: Tensor | readonly (number | null)[]): void {
    // A shape: the model checked as a layer (see LayersModel.validateInput).
    if (Array.isArray(x)) return this.validateInput(x);
    checkTensor(x, 'x', `Model '${this.name}'`);
    const expected = this.input.shape;
    if (expected.length !== x.rank || expected.some((d, i) => i > 0 && d !== null && d !== x.shape[i])) {
      throw new Error(`Input '${this.input.name}' of model '${this.name}' is incompatible: expected shape ${formatSymbolic(expected)}, received ${formatSymbolic([null, ...x.shape.slice(1)])}`);
    }
  }

  call(x: Tensor, training = false, logits = false): Tensor {
    const values = new Map<number, Tensor>([[this.input.id, x]]);
    const last = this.nodes.length - 1;
    this.nodes.forEach((node, i) => {
      const xs = node.inputs.map((t) => values.get(t.id)!);
      const y = i === last && logits ? (node.layer as unknown as { callLinear(t: Tensor): Tensor }).callLinear(xs[0]) : node.layer.applyTensors(xs, node.training ?? training);
      values.set(node.output.id, y);
    });
    return values.get(this.output.id)!;
  }

  summary(printFn: (line: string) => void = console.log): void {
    const rows = [
      { label: `${this.input.name} (InputLayer)`, shape: formatSymbolic(this.input.shape), params: 0, connectedTo: '' },
      ...this.nodes.map((n) => ({
        label: `${n.output.name} (${n.layer.className})`,
        shape: formatSymbolic(n.output.shape),
        params: n.layer.countParams(),
        connectedTo: n.inputs.map((t) => t.name).join(', '),
      })),
    ];
    for (const line of summaryTable(this.name, rows, this.layers)) printFn(line);
  }
}

/** As `tf.model({ inputs, outputs })`. */
export function model(args: FunctionalArgs): Functional {
  return new Functional(args);
}
