import { formatShape } from '../tensor/shape.js';
import { Tensor, ones } from '../tensor/tensor.js';
import { add } from '../ops/arithmetic.js';
import { gradients } from './gradients.js';
import { noGrad, withTape } from './tape.js';

/**
 * Computes f() and the gradient of its (scalar) result with respect to each of xs, as
 * `tf.variableGrads`. Inputs that f does not depend on get a zero gradient.
 */
export function valueAndGrads(f: () => Tensor, xs: Tensor[]): { value: Tensor; grads: Tensor[] } {
  const { result: value, nodes } = withTape(xs, f);
  if (value.size !== 1) {
    throw new Error(`valueAndGrads: f must return a scalar, returned shape ${formatShape(value.shape)}`);
  }
  const grads = noGrad(() => {
    const byId = new Map<number, Tensor>([[value.id, ones(value.shape, value.dtype)]]);
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      const dy = byId.get(node.output.id);
      if (!dy) continue;
      const rule = gradients[node.op];
      if (!rule) throw new Error(`No gradient rule is registered for op '${node.op}'`);
      const inputGrads = rule(dy, node);
      node.inputs.forEach((input, k) => {
        const g = inputGrads[k];
        if (!g) return;
        const previous = byId.get(input.id);
        byId.set(input.id, previous ? add(previous, g) : g);
      });
    }
    return xs.map((x) => byId.get(x.id) ?? new Tensor(new (x.storage.constructor as Float32ArrayConstructor)(x.size), x.shape));
  });
  return { value, grads };
}

export function grads(f: () => Tensor, xs: Tensor[]): Tensor[] {
  return valueAndGrads(f, xs).grads;
}
