import type { Layer, SymbolicShape } from './layer.js';

let nextSymbolicId = 0;

/**
 * A placeholder for a tensor in a model graph (TF.js's SymbolicTensor): it has a shape with an
 * unknown batch size, and remembers which layer produced it from which inputs.
 */
export class SymbolicTensor {
  readonly id = nextSymbolicId++;
  constructor(
    readonly shape: SymbolicShape,
    /** `training`: the mode fixed at the call, as Keras's `base(x, training=False)`. */
    readonly producer: { layer: Layer; inputs: SymbolicTensor[]; training?: boolean } | null,
    readonly name: string,
  ) {}
}

export function isSymbolic(x: unknown): x is SymbolicTensor | SymbolicTensor[] {
  return x instanceof SymbolicTensor || (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof SymbolicTensor));
}
