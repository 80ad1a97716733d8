import { add, div, maximum, minimum, mul, sub } from '../ops/arithmetic.js';
import type { Tensor } from '../tensor/tensor.js';
import { formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';
import { Merge } from './merge.js';

/** Keras's elementwise merge layers besides Add: Multiply, Subtract, Average, Maximum, Minimum. */

abstract class ElementwiseMerge extends Merge {
  protected mergedShape(shapes: SymbolicShape[]): SymbolicShape {
    const first = shapes[0];
    for (const s of shapes) {
      if (s.length !== first.length || s.some((d, i) => i > 0 && d !== null && first[i] !== null && d !== first[i])) {
        throw new Error(`Layer '${this.name}' (${this.className}): inputs must have the same shape, received ${shapes.map(formatSymbolic).join(', ')}`);
      }
    }
    return first.map((d, i) => d ?? shapes.find((s) => s[i] !== null)?.[i] ?? null);
  }
}

export class Multiply extends ElementwiseMerge {
  readonly className = 'Multiply';
  constructor(args: LayerArgs = {}) {
    super(args, 'Multiply');
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => mul(acc, x), xs[0]);
  }
}

/** x0 - x1: exactly two inputs, as in Keras. */
export class Subtract extends ElementwiseMerge {
  readonly className = 'Subtract';
  constructor(args: LayerArgs = {}) {
    super(args, 'Subtract');
  }
  protected override mergedShape(shapes: SymbolicShape[]): SymbolicShape {
    if (shapes.length !== 2) throw new Error(`Layer '${this.name}' (Subtract) takes exactly 2 inputs, received ${shapes.length}`);
    return super.mergedShape(shapes);
  }
  protected merge(xs: Tensor[]): Tensor {
    return sub(xs[0], xs[1]);
  }
}

export class Average extends ElementwiseMerge {
  readonly className = 'Average';
  constructor(args: LayerArgs = {}) {
    super(args, 'Average');
  }
  protected merge(xs: Tensor[]): Tensor {
    return div(xs.slice(1).reduce((acc, x) => add(acc, x), xs[0]), xs.length);
  }
}

export class Maximum extends ElementwiseMerge {
  readonly className = 'Maximum';
  constructor(args: LayerArgs = {}) {
    super(args, 'Maximum');
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => maximum(acc, x), xs[0]);
  }
}

export class Minimum extends ElementwiseMerge {
  readonly className = 'Minimum';
  constructor(args: LayerArgs = {}) {
    super(args, 'Minimum');
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => minimum(acc, x), xs[0]);
  }
}
