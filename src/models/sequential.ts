import { InputLayer } from '../layers/input_layer.js';
import { Layer, formatSymbolic, uniqueName, type SymbolicShape } from '../layers/layer.js';
import { applyFused } from '../layers/fused_relu.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkTensor } from './data.js';
import { LayersModel } from './layers_model.js';
import { summaryLines } from './summary.js';

export type { CompileArgs, Compiled } from './layers_model.js';

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

/** A linear stack of layers, as `tf.sequential` / `keras.Sequential`. */
export class Sequential extends LayersModel {
  readonly className = 'Sequential';
  readonly layers: Layer[] = [];
  private batchInputShapeValue: SymbolicShape | null = null;
  private declaredByInputLayer = false;

  constructor(args: SequentialArgs = {}) {
    super(args.name ?? uniqueName('sequential'));
    for (const layer of args.layers ?? []) this.add(layer);
  }

  /** Appends a layer; weights are created at once when the input shape is known. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new Error(`Sequential.add: expected a layer, received ${typeof layer}`);
    if (this.layers.includes(layer)) throw new Error(`Sequential.add: layer '${layer.name}' is already in model '${this.name}'`);
    if (layer instanceof InputLayer) {
      // As in Keras: an InputLayer only declares the input shape; it is not kept as a layer.
      if (this.layers.length > 0 || this.batchInputShapeValue) throw new Error(`Sequential.add: an InputLayer ('${layer.name}') may only come first`);
      this.batchInputShapeValue = layer.batchInputShape;
      this.declaredByInputLayer = true;
      return;
    }
    if (this.layers.length === 0) {
      if (this.batchInputShapeValue && layer.batchInputShape) throw new Error(`Sequential.add: layer '${layer.name}' sets inputShape ${formatSymbolic(layer.batchInputShape)} after an InputLayer already did`);
      // A built model added first (a base model) brings its input shape, as in Keras.
      this.batchInputShapeValue ??= layer.batchInputShape ?? (layer instanceof LayersModel && layer.built ? [null, ...layer.inputShape.slice(1)] : null);
    } else if (layer.batchInputShape) {
      throw new Error(`Sequential.add: only the first layer may set inputShape; layer '${layer.name}' has ${formatSymbolic(layer.batchInputShape)}`);
    }
    if (this.batchInputShapeValue) {
      const inputShape = this.layers.length === 0 ? this.batchInputShapeValue : this.outputShapes()[this.layers.length - 1];
      if (!layer.built) layer.build(inputShape);
      // Models used as layers check that the input fits them here.
      layer.computeOutputShape(inputShape);
    }
    this.layers.push(layer);
  }

  override get built(): boolean {
    return this.batchInputShapeValue !== null;
  }

  override set built(_value: boolean) {
    // Built means: the input shape is known (see build()).
  }

  /** Builds every layer for an input shape (batch axis included, may be null). */
  override build(batchInputShape: SymbolicShape): void {
    let shape: SymbolicShape = [null, ...batchInputShape.slice(1)];
    this.batchInputShapeValue = shape;
    for (const layer of this.layers) {
      if (!layer.built) layer.build(shape);
      shape = layer.computeOutputShape(shape);
    }
  }

  get inputShape(): SymbolicShape {
    if (!this.batchInputShapeValue) throw this.notBuilt();
    return this.batchInputShapeValue;
  }

  get outputShape(): SymbolicShape {
    const shapes = this.outputShapes();
    return shapes[shapes.length - 1] ?? this.inputShape;
  }

  /** Used as a layer: the output shape for an input shape, building the model on first use. */
  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    if (!this.built) this.build(inputShape);
    return super.computeOutputShape(inputShape);
  }

  outputShapes(): SymbolicShape[] {
    if (!this.batchInputShapeValue) throw this.notBuilt();
    const shapes: SymbolicShape[] = [];
    let shape = this.batchInputShapeValue;
    for (const layer of this.layers) {
      shape = layer.computeOutputShape(shape);
      shapes.push(shape);
    }
    return shapes;
  }

  protected notBuilt(): Error {
    return new Error(`Model '${this.name}' has not been built: give the first layer an inputShape (e.g. inputShape: [28, 28, 1]), or call build() or fit() first`);
  }

  /** Validates x against the model's input shape, building the model on first use. */
  checkInput(x: Tensor | readonly (number | null)[]): void {
    // A shape: the model checked as a layer (see LayersModel.validateInput).
    if (Array.isArray(x)) return this.validateInput(x);
    checkTensor(x, 'x', `Model '${this.name}'`);
    if (this.layers.length === 0) throw new Error(`Model '${this.name}' has no layers`);
    if (!this.batchInputShapeValue) {
      this.build([null, ...x.shape.slice(1)]);
      return;
    }
    const expected = this.batchInputShapeValue;
    const ok = expected.length === x.rank && expected.every((d, i) => i === 0 || d === null || d === x.shape[i]);
    if (!ok) {
      throw new Error(`Input of layer '${this.layers[0].name}' (${this.layers[0].className}) is incompatible with model '${this.name}': expected shape ${formatSymbolic(expected)}, received ${formatSymbolic([null, ...x.shape.slice(1)])}`);
    }
  }

  /** Runs the layers; with `logits`, the last softmax is left out (for fused cross-entropy). */
  override call(x: Tensor, training = false, logits = false): Tensor {
    let y = x;
    const last = this.layers.length - 1;
    let fused: { y: Tensor; layers: number } | null;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      if (i === last && logits) {
        layer.validateInput(y.shape);
        y = (layer as unknown as { callLinear(t: Tensor): Tensor }).callLinear(y);
      } else if ((fused = applyFused(layer, i + 1 === last && logits ? undefined : this.layers[i + 1],
        i + 2 === last && logits ? undefined : this.layers[i + 2], y, training))) {
        // Layers that run as one kernel (src/layers/fused_relu.ts); the logits' layer never fuses.
        y = fused.y;
        i += fused.layers - 1;
      } else {
        y = layer.apply(y, training);
      }
    }
    return y;
  }


  protected outputLayer(): Layer | undefined {
    return this.layers[this.layers.length - 1];
  }

  summary(printFn: (line: string) => void = console.log): void {
    if (!this.batchInputShapeValue) throw this.notBuilt();
    for (const line of summaryLines(this.name, this.layers, this.outputShapes())) printFn(line);
  }

  override getConfig(): { name: string; layers: { className: string; config: Record<string, unknown> }[] } {
    return {
      name: this.name,
      layers: this.layers.map((l, i) => {
        const config = l.getConfig();
        // A shape declared by an InputLayer is written on the first layer, as TF.js does.
        if (i === 0 && !config.batchInputShape && this.declaredByInputLayer) config.batchInputShape = this.batchInputShapeValue;
        return { className: l.className, config };
      }),
    };
  }
}

/** As `tf.sequential({ layers })`. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}

