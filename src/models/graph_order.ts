/**
 * The order in which Keras (tf.keras 2's _map_graph_network, Keras 3's map_graph) and TF.js list a
 * functional model's layers: by depth, the layers furthest from the outputs first, layers of equal
 * depth in the order a depth-first walk from the outputs first reaches them. Model.layers,
 * getWeights() and the weight order in saved files follow it; the graph still runs in walk order,
 * so dropout layers draw their random numbers in the same order as before. Keras 3 names a layer's
 * weights in a .keras file by its position among the layers of its class in this order
 * (layers/dense, layers/dense_1, ...), so files convlab writes put them where Keras looks.
 */
import type { SymbolicTensor } from '../layers/symbolic.js';

/**
 * The tensors `outputs` depend on in Keras's layer order: layer outputs only, or with the model
 * inputs where Keras lists their InputLayers (in summaries, configs and .h5 layer_names).
 */
export function kerasOrder(outputs: readonly SymbolicTensor[], withInputs = false): SymbolicTensor[] {
  const firstSeen = new Map<number, number>();
  const postOrder: SymbolicTensor[] = [];
  const finished = new Set<number>();
  const visit = (t: SymbolicTensor): void => {
    if (finished.has(t.id)) return;
    if (!firstSeen.has(t.id)) firstSeen.set(t.id, firstSeen.size);
    for (const parent of t.producer?.inputs ?? []) visit(parent);
    finished.add(t.id);
    postOrder.push(t);
  };
  for (const output of outputs) visit(output);
  // A node's depth is one more than the deepest node that reads it (outputs: 0).
  const depth = new Map<number, number>();
  for (let i = postOrder.length - 1; i >= 0; i--) {
    const t = postOrder[i];
    const d = depth.get(t.id) ?? 0;
    depth.set(t.id, d);
    for (const parent of t.producer?.inputs ?? []) depth.set(parent.id, Math.max(depth.get(parent.id) ?? 0, d + 1));
  }
  return postOrder
    .filter((t) => withInputs || t.producer !== null)
    .sort((a, b) => depth.get(b.id)! - depth.get(a.id)! || firstSeen.get(a.id)! - firstSeen.get(b.id)!);
}

/** Inputs and layer outputs as Keras lists them; inputs no output depends on come first, as in Keras. */
export function kerasOrderWithInputs(inputs: readonly SymbolicTensor[], outputs: readonly SymbolicTensor[]): SymbolicTensor[] {
  const order = kerasOrder(outputs, true);
  const reached = new Set(order.map((t) => t.id));
  return [...inputs.filter((t) => !reached.has(t.id)), ...order];
}
