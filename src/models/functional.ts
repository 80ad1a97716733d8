import type { Layer, SymbolicShape } from '../layers/layer.js';
import { formatSymbolic, uniqueName } from '../layers/layer.js';
import { SymbolicTensor } from '../layers/symbolic.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor } from './data.js';
import { applyFused } from '../layers/fused_relu.js';
import { kerasOrder, kerasOrderWithInputs } from './graph_order.js';
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

/** Nodes whose output exactly one node reads, as its only input, and is no model output: that reader. */
function soleReaders(nodes: readonly GraphNode[], outputs: readonly SymbolicTensor[]): Map<GraphNode, GraphNode> {
  const readers = new Map<number, GraphNode[]>();
  for (const n of nodes) for (const t of n.inputs) readers.set(t.id, [...(readers.get(t.id) ?? []), n]);
  const isOutput = new Set(outputs.map((t) => t.id));
  const sole = new Map<GraphNode, GraphNode>();
  for (const n of nodes) {
    const r = readers.get(n.output.id);
    if (r && r.length === 1 && r[0].inputs.length === 1 && !isOutput.has(n.output.id)) sole.set(n, r[0]);
  }
  return sole;
}

/** Graph nodes from the inputs to the outputs, each after the nodes it reads from. */
function topologicalNodes(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): GraphNode[] {
  const order: GraphNode[] = [];
  const done = new Set<number>();
  const visiting = new Set<number>();
  const inputIds = new Set(inputs.map((t) => t.id));
  const visit = (t: SymbolicTensor): void => {
    if (done.has(t.id)) return;
    if (visiting.has(t.id)) throw new Error(`model: the graph has a cycle at '${t.name}'`);
    if (t.producer === null) {
      if (!inputIds.has(t.id)) {
        const names = inputs.map((i) => `'${i.name}'`).join(', ');
        throw new Error(`model: the output depends on input '${t.name}', which is not ${inputs.length === 1 ? `the model's input ${names}` : `one of the model's inputs ${names}`}`);
      }
      done.add(t.id);
      return;
    }
    visiting.add(t.id);
    for (const i of t.producer.inputs) visit(i);
    visiting.delete(t.id);
    done.add(t.id);
    order.push({ layer: t.producer.layer, inputs: t.producer.inputs, output: t, training: t.producer.training });
  };
  for (const output of outputs) visit(output);
  return order;
}

export interface FunctionalArgs {
  inputs: SymbolicTensor | SymbolicTensor[];
  outputs: SymbolicTensor | SymbolicTensor[];
  name?: string;
}

/** The model's inputs or outputs as a non-empty list of symbolic tensors, each listed once. */
function tensorList(value: SymbolicTensor | SymbolicTensor[], what: string): SymbolicTensor[] {
  const list = Array.isArray(value) ? value : [value];
  const bad = list.findIndex((t) => !(t instanceof SymbolicTensor));
  if (list.length === 0 || bad >= 0) {
    const got = list.length === 0 ? 'an empty list' : Array.isArray(value) ? `${typeof list[bad]} at index ${bad}` : typeof value;
    throw new Error(`model: expected ${what}s to be a symbolic tensor or a non-empty list of them (from input() or layer.apply()), received ${got}`);
  }
  const names = new Set<string>();
  for (const t of list) {
    if (names.has(t.name)) throw new Error(`model: ${what} '${t.name}' is listed twice; each ${what} of a model needs its own name`);
    names.add(t.name);
  }
  return list;
}

/**
 * A model whose layers form a graph (TF.js's `tf.model`, Keras's functional API): branches and
 * skip connections, as in residual networks, and several inputs and outputs
 * (src/models/multi_io.ts trains and predicts those).
 */
export class Functional extends LayersModel {
  readonly className = 'Functional';
  /** The model's inputs and outputs, in the order given to model() (TF.js's model.inputs / model.outputs). */
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly layers: Layer[];
  private readonly nodes: GraphNode[];
  /** Ids of the tensors some node reads: an output read by another layer cannot be swapped for logits. */
  private readonly consumed: Set<number>;
  /** For a node whose output only one node reads, as its one input (and is no model output): that node. */
  private readonly soleReader: Map<GraphNode, GraphNode>;

  constructor(args: FunctionalArgs) {
    super(args.name ?? uniqueName('model'));
    this.inputs = tensorList(args?.inputs, 'input');
    this.outputs = tensorList(args?.outputs, 'output');
    for (const t of this.outputs) {
      if (t.producer === null) throw new Error(`model: output '${t.name}' is an input itself; add at least one layer after it`);
    }
    this.nodes = topologicalNodes(this.inputs, this.outputs);
    // Run in walk order, as always; listed (weights, files) in Keras's order (src/models/graph_order.ts).
    this.layers = [...new Set(kerasOrder(this.outputs).map((t) => t.producer!.layer))];
    this.consumed = new Set(this.nodes.flatMap((n) => n.inputs.map((t) => t.id)));
    this.soleReader = soleReaders(this.nodes, this.outputs);
  }

  /** True when the model has several inputs or several outputs. */
  get multiIO(): boolean {
    return this.inputs.length > 1 || this.outputs.length > 1;
  }

  /** The one input (TF.js's model.input); a model with several has model.inputs instead. */
  get input(): SymbolicTensor {
    if (this.inputs.length !== 1) throw new Error(`Model '${this.name}' has ${this.inputs.length} inputs (${this.inputNames.join(', ')}); this needs a model with one input (model.inputs lists them)`);
    return this.inputs[0];
  }

  /** The one output (TF.js's model.output); a model with several has model.outputs instead. */
  get output(): SymbolicTensor {
    if (this.outputs.length !== 1) throw new Error(`Model '${this.name}' has ${this.outputs.length} outputs (${this.outputNames.join(', ')}); this needs a model with one output (model.outputs lists them)`);
    return this.outputs[0];
  }

  /** The input names, as keys of a {name: Tensor} object given to predict, fit and evaluate. */
  get inputNames(): string[] {
    return this.inputs.map((t) => t.name);
  }

  /** The output names (their layers' names, as Keras names them in losses, metrics and logs). */
  get outputNames(): string[] {
    return this.outputs.map((t) => t.name);
  }

  /** The graph's nodes, each after the nodes it reads from (for saving and inspection). */
  graph(): readonly GraphNode[] {
    return this.nodes;
  }

  protected outputLayer(): Layer | undefined {
    return this.outputs.length === 1 ? this.outputs[0].producer!.layer : undefined;
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
    this.checkInputAt(x as Tensor, 0);
  }

  /** Validates x against input `index`. */
  checkInputAt(x: Tensor, index: number, label = 'x'): void {
    const input = this.inputs[index];
    checkTensor(x, label, `Model '${this.name}'`);
    const expected = input.shape;
    if (expected.length !== x.rank || expected.some((d, i) => i > 0 && d !== null && d !== x.shape[i])) {
      throw new Error(`Input '${input.name}' of model '${this.name}' is incompatible: expected shape ${formatSymbolic(expected)}, received ${formatSymbolic([null, ...x.shape.slice(1)])}`);
    }
  }

  call(x: Tensor, training = false, logits = false): Tensor {
    if (this.multiIO) throw new Error(`Model '${this.name}' has ${this.inputs.length} inputs and ${this.outputs.length} outputs; run it with model.predict or model.callAll`);
    return this.callAll([x], training, logits ? [true] : undefined)[0];
  }

  /**
   * Runs the graph on one tensor per input; returns one tensor per output. Where `logits[k]` is
   * true and output k ends in a softmax no other layer reads, its input is returned instead (for
   * fused cross-entropy).
   */
  callAll(xs: Tensor[], training = false, logits?: readonly boolean[]): Tensor[] {
    const values = new Map<number, Tensor>();
    this.inputs.forEach((t, i) => values.set(t.id, xs[i]));
    const linear = new Set<number>();
    if (logits) this.outputs.forEach((t, k) => { if (logits[k] && !this.consumed.has(t.id)) linear.add(t.id); });
    const ranAhead = new Set<GraphNode>();
    for (const node of this.nodes) {
      if (ranAhead.has(node)) continue;
      const ins = node.inputs.map((t) => values.get(t.id)!);
      if (linear.has(node.output.id)) {
        values.set(node.output.id, (node.layer as unknown as { callLinear(t: Tensor): Tensor }).callLinear(ins[0]));
        continue;
      }
      // A chain of nodes that run as one kernel, as in Sequential models (src/layers/fused_relu.ts):
      // each intermediate output is read by the next node only.
      const next = this.soleReader.get(node);
      const then = next && this.soleReader.get(next);
      const fused = ins.length === 1 && next && !linear.has(next.output.id)
        ? applyFused(node.layer, next.layer, then && !linear.has(then.output.id) ? then.layer : undefined, ins[0], node.training ?? training)
        : null;
      if (fused) {
        const chain = [node, next!, then!].slice(0, fused.layers);
        chain.forEach((n) => ranAhead.add(n));
        values.set(chain[chain.length - 1].output.id, fused.y);
        continue;
      }
      values.set(node.output.id, node.layer.applyTensors(ins, node.training ?? training));
    }
    return this.outputs.map((t) => values.get(t.id)!);
  }

  /** Whether output k ends in a softmax whose input can feed a fused cross-entropy. */
  outputEndsInSoftmax(k: number): boolean {
    const t = this.outputs[k];
    const layer = t.producer!.layer as unknown as { activation?: string; callLinear?: unknown };
    return !this.consumed.has(t.id) && layer.activation === 'softmax' && typeof layer.callLinear === 'function';
  }

  summary(printFn: (line: string) => void = console.log): void {
    const nodes = new Map(this.nodes.map((n) => [n.output.id, n]));
    // As Keras: InputLayers listed where Keras's layer order puts them.
    const rows = kerasOrderWithInputs(this.inputs, this.outputs).map((t) => {
      const n = nodes.get(t.id);
      if (!n) return { label: `${t.name} (InputLayer)`, shape: formatSymbolic(t.shape), params: 0, connectedTo: '' };
      return { label: `${n.output.name} (${n.layer.className})`, shape: formatSymbolic(n.output.shape), params: n.layer.countParams(), connectedTo: n.inputs.map((i) => i.name).join(', ') };
    });
    for (const line of summaryTable(this.name, rows, this.layers)) printFn(line);
  }
}

/** As `tf.model({ inputs, outputs })`. */
export function model(args: FunctionalArgs): Functional {
  return new Functional(args);
}
