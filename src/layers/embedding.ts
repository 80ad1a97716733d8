import { gatherRows } from '../ops/layout.js';
import type { Tensor } from '../tensor/tensor.js';
import { getInitializer, serializeInitializer, type Initializer } from './initializers.js';
import { Layer, type LayerArgs, type LayerVariable, type SymbolicShape } from './layer.js';

export interface EmbeddingArgs extends LayerArgs {
  /** Vocabulary size: inputs are integers in [0, inputDim). */
  inputDim: number;
  outputDim: number;
  embeddingsInitializer?: string | Initializer;
  /** Only false: convlab has no masks, and layers that use them (GlobalAveragePooling1D) would differ. */
  maskZero?: boolean;
  /** Keras 2's input_length: shorthand for inputShape [inputLength]. */
  inputLength?: number | null;
}

/** Keras's Embedding: each integer index becomes row `index` of a learned [inputDim, outputDim] table. */
export class Embedding extends Layer {
  readonly className = 'Embedding';
  readonly inputDim: number;
  readonly outputDim: number;
  readonly embeddingsInitializer: Initializer;
  readonly maskZero: boolean;
  readonly inputLength: number | null;
  embeddings: LayerVariable | null = null;

  constructor(args: EmbeddingArgs) {
    const length = args?.inputLength ?? null;
    super(length !== null && !args.inputShape && !args.batchInputShape ? { ...args, inputShape: [length] } : args, 'Embedding');
    for (const key of ['inputDim', 'outputDim'] as const) {
      if (!Number.isInteger(args[key]) || args[key] <= 0) throw new Error(`Embedding '${this.name}': ${key} must be a positive integer, received ${JSON.stringify(args[key])}`);
    }
    this.inputDim = args.inputDim;
    this.outputDim = args.outputDim;
    this.embeddingsInitializer = getInitializer(args.embeddingsInitializer, 'randomUniform');
    if (args.maskZero) {
      throw new Error(`Embedding '${this.name}': maskZero true is not supported (convlab does not propagate masks, and Keras layers after it such as GlobalAveragePooling1D would skip the masked steps); only false`);
    }
    this.maskZero = false;
    this.inputLength = length;
  }

  override build(inputShape: SymbolicShape): void {
    this.embeddings = this.addWeight('embeddings', [this.inputDim, this.outputDim], this.embeddingsInitializer);
    super.build(inputShape);
  }

  computeOutputShape(s: SymbolicShape): SymbolicShape {
    return [...s, this.outputDim];
  }

  call(x: Tensor): Tensor {
    return gatherRows(this.embeddings!.value, x);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: serializeInitializer(this.embeddingsInitializer),
      embeddingsRegularizer: null,
      activityRegularizer: null,
      embeddingsConstraint: null,
      maskZero: this.maskZero,
      inputLength: this.inputLength,
    };
  }
}
