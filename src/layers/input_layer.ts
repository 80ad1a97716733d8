import type { Tensor } from '../tensor/tensor.js';
import { Layer, formatSymbolic, type LayerArgs, type SymbolicShape } from './layer.js';

/**
 * Keras's InputLayer / TF.js's `layers.inputLayer`: declares the input shape of a Sequential
 * model. Sequential takes its shape and does not keep it as a layer, as Keras and TF.js do
 * (model.layers lists the real layers); saved files give the shape to the first layer.
 */
export class InputLayer extends Layer {
  readonly className = 'InputLayer';
  constructor(args: LayerArgs & { batchShape?: (number | null)[]; shape?: number[] }) {
    const batchInputShape = args?.batchInputShape ?? args?.batchShape ?? (args?.inputShape ? undefined : args?.shape ? [args.batchSize ?? null, ...args.shape] : undefined);
    super({ ...args, batchInputShape }, 'InputLayer');
    if (!this.batchInputShape) throw new Error(`InputLayer '${this.name}': give inputShape (e.g. [28, 28, 1]) or batchInputShape (e.g. [null, 28, 28, 1])`);
  }
  computeOutputShape(s: SymbolicShape): SymbolicShape {
    return s;
  }
  call(x: Tensor): Tensor {
    return x;
  }
  override toString(): string {
    return `InputLayer '${this.name}' ${formatSymbolic(this.batchInputShape!)}`;
  }
}
