import { add } from '../ops/arithmetic.js';
import { concatLastAxis } from '../ops/concat.js';
import type { Tensor } from '../tensor/tensor.js';
import { Layer, formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';
import { SymbolicTensor } from './symbolic.js';

/** Layers that combine several inputs, e.g. the skip connection of a residual block. */
export abstract class Merge extends Layer {
  protected abstract mergedShape(shapes: SymbolicShape[]): SymbolicShape;
  protected abstract merge(xs: Tensor[]): Tensor;

  computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    return inputShape;
  }

  call(): Tensor {
    throw new Error(`Layer '${this.name}' (${this.className}) merges several inputs: apply it to a list`);
  }

  override applyTensors(xs: Tensor[]): Tensor {
    this.mergedShape(xs.map((x) => [null, ...x.shape.slice(1)]));
    return this.merge(xs);
  }

  protected override applySymbolic(inputs: SymbolicTensor[]): SymbolicTensor {
    if (inputs.length < 2) throw new Error(`Layer '${this.name}' (${this.className}) needs at least 2 inputs, received ${inputs.length}`);
    const shape = this.mergedShape(inputs.map((t) => t.shape));
    if (!this.built) this.build(shape);
    return new SymbolicTensor(shape, { layer: this, inputs }, this.name);
  }
}

/** Elementwise sum of inputs of the same shape (Keras's Add). */
export class Add extends Merge {
  readonly className = 'Add';
  constructor(args: LayerArgs = {}) {
    super(args, 'Add');
  }
  protected mergedShape(shapes: SymbolicShape[]): SymbolicShape {
    const first = shapes[0];
    for (const s of shapes) {
      if (s.length !== first.length || s.some((d, i) => i > 0 && d !== first[i])) {
        throw new Error(`Layer '${this.name}' (Add): inputs must have the same shape, received ${shapes.map(formatSymbolic).join(', ')}`);
      }
    }
    return first;
  }
  protected merge(xs: Tensor[]): Tensor {
    return xs.slice(1).reduce((acc, x) => add(acc, x), xs[0]);
  }
}

/** Joins inputs along the last (channel) axis (Keras's Concatenate). */
export class Concatenate extends Merge {
  readonly className = 'Concatenate';
  constructor(args: LayerArgs & { axis?: -1 } = {}) {
    super(args, 'Concatenate');
    if (args.axis !== undefined && args.axis !== -1) throw new Error(`Concatenate '${this.name}': only axis -1 is supported, received ${args.axis}`);
  }
  protected mergedShape(shapes: SymbolicShape[]): SymbolicShape {
    const first = shapes[0];
    for (const s of shapes) {
      if (s.length !== first.length || s.slice(1, -1).some((d, i) => d !== first[i + 1])) {
        throw new Error(`Layer '${this.name}' (Concatenate): inputs must match except on the last axis, received ${shapes.map(formatSymbolic).join(', ')}`);
      }
    }
    const last = shapes.map((s) => s[s.length - 1]);
    return [...first.slice(0, -1), last.includes(null) ? null : (last as number[]).reduce((a, b) => a + b, 0)];
  }
  protected merge(xs: Tensor[]): Tensor {
    return concatLastAxis(xs);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: -1 };
  }
}
