import { noGrad } from '../autograd/tape.js';
import type { Callback, CallbackHooks } from '../callbacks/callback.js';
import type { History } from '../callbacks/history.js';
import type { IOHandler, SaveResult } from '../io/types.js';
import { Layer, formatSymbolic, uniqueName, type SymbolicShape } from '../layers/layer.js';
import { losses, resolveLoss, type LossFn, type LossName } from '../losses/index.js';
import { resolveOptimizer, type Optimizer } from '../optimizers/index.js';
import { resolveMetric } from '../metrics/index.js';
import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { batchOf, checkTensor, inputFloatDType } from './data.js';
import { Progbar } from '../callbacks/progbar.js';
import { summaryLines } from './summary.js';
import { evaluateModel, fitModel, type EvaluateArgs, type FitArgs } from './training.js';

export interface CompileArgs {
  optimizer: string | Optimizer;
  loss: string | LossFn;
  metrics?: string[] | string;
}

export interface Compiled {
  optimizer: Optimizer;
  lossName: LossName | null;
  lossFn: LossFn;
  metricIds: string[];
}

export interface SequentialArgs {
  layers?: Layer[];
  name?: string;
}

/** A linear stack of layers, as `tf.sequential` / `keras.Sequential`. */
export class Sequential {
  readonly className = 'Sequential';
  readonly name: string;
  readonly layers: Layer[] = [];
  compiled: Compiled | null = null;
  /** Set to true (e.g. from a callback) to stop fit after the current batch. */
  stopTraining = false;
  /** The History of the latest fit, kept even when fit throws. */
  history: History | null = null;
  private batchInputShapeValue: SymbolicShape | null = null;

  constructor(args: SequentialArgs = {}) {
    this.name = args.name ?? uniqueName('sequential');
    for (const layer of args.layers ?? []) this.add(layer);
  }

  /** Appends a layer; weights are created at once when the input shape is known. */
  add(layer: Layer): void {
    if (!(layer instanceof Layer)) throw new Error(`Sequential.add: expected a layer, received ${typeof layer}`);
    if (this.layers.includes(layer)) throw new Error(`Sequential.add: layer '${layer.name}' is already in model '${this.name}'`);
    if (this.layers.length === 0) {
      this.batchInputShapeValue = layer.batchInputShape;
    } else if (layer.batchInputShape) {
      throw new Error(`Sequential.add: only the first layer may set inputShape; layer '${layer.name}' has ${formatSymbolic(layer.batchInputShape)}`);
    }
    if (this.batchInputShapeValue) {
      const inputShape = this.layers.length === 0 ? this.batchInputShapeValue : this.outputShapes()[this.layers.length - 1];
      if (!layer.built) layer.build(inputShape);
      layer.computeOutputShape(inputShape);
    }
    this.layers.push(layer);
  }

  get built(): boolean {
    return this.batchInputShapeValue !== null;
  }

  /** Builds every layer for an input shape (batch axis included, may be null). */
  build(batchInputShape: SymbolicShape): void {
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

  private notBuilt(): Error {
    return new Error(`Model '${this.name}' has not been built: give the first layer an inputShape (e.g. inputShape: [28, 28, 1]), or call build() or fit() first`);
  }

  /** Validates x against the model's input shape, building the model on first use. */
  checkInput(x: Tensor): void {
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
  call(x: Tensor, training = false, logits = false): Tensor {
    let y = x;
    const last = this.layers.length - 1;
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i];
      if (i === last && logits) {
        layer.validateInput(y.shape);
        y = (layer as unknown as { callLinear(t: Tensor): Tensor }).callLinear(y);
      } else {
        y = layer.apply(y, training);
      }
    }
    return y;
  }

  /** Whether the model ends in a softmax whose input can feed a fused cross-entropy. */
  endsInSoftmax(): boolean {
    const last = this.layers[this.layers.length - 1] as unknown as { activation?: string; callLinear?: unknown } | undefined;
    return Boolean(last && last.activation === 'softmax' && typeof last.callLinear === 'function');
  }

  compile(args: CompileArgs): void {
    if (!args || args.optimizer === undefined || args.loss === undefined) {
      throw new Error('compile: expected { optimizer, loss, metrics? }, e.g. { optimizer: "adam", loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] }');
    }
    const optimizer = resolveOptimizer(args.optimizer);
    let lossName: LossName | null = null;
    let lossFn: LossFn;
    if (typeof args.loss === 'string') {
      lossName = resolveLoss(args.loss);
      lossFn = losses[lossName];
    } else if (typeof args.loss === 'function') {
      lossFn = args.loss;
    } else {
      throw new Error(`compile: loss must be a name or a function (yTrue, yPred) => Tensor, received ${typeof args.loss}`);
    }
    const metricIds = args.metrics === undefined ? [] : typeof args.metrics === 'string' ? [args.metrics] : [...args.metrics];
    // Resolve once now so that a misspelt metric fails at compile time, not after the first epoch.
    for (const id of metricIds) resolveMetric(id, { lossName: lossName ?? '', outputUnits: 2 });
    this.compiled = { optimizer, lossName, lossFn, metricIds };
  }

  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  async fit(x: Tensor, y: Tensor, args: FitArgs = {}): Promise<History> {
    return fitModel(this, x, y, args);
  }

  evaluate(x: Tensor, y: Tensor, args: EvaluateArgs = {}): number[] {
    return evaluateModel(this, x, y, args);
  }

  /** Class probabilities (or whatever the last layer outputs), computed in batches; silent by default, as TF.js. */
  predict(x: Tensor, args: { batchSize?: number; verbose?: number } = {}): Tensor {
    this.checkInput(x);
    const batchSize = args.batchSize ?? 32;
    const n = x.shape[0];
    const floatDType = inputFloatDType(x);
    const outRow = this.outputShape.slice(1) as number[];
    const rowSize = outRow.reduce((p, d) => p * d, 1);
    const out = allocate(floatDType, n * rowSize);
    const steps = Math.ceil(n / batchSize);
    const bar = (args.verbose ?? 0) > 0 ? new Progbar(steps, args.verbose) : null;
    noGrad(() => {
      for (let step = 0; step < steps; step++) {
        const start = step * batchSize;
        const end = Math.min(start + batchSize, n);
        const y = this.call(batchOf(x, null, start, end, floatDType), false);
        out.set(y.data as Float32Array, start * rowSize);
        bar?.update(step + 1);
      }
    });
    return new Tensor(out, [n, ...outRow]);
  }

  /** One batch, as `model.predictOnBatch`. */
  predictOnBatch(x: Tensor): Tensor {
    this.checkInput(x);
    return noGrad(() => this.call(batchOf(x, null, 0, x.shape[0], inputFloatDType(x)), false));
  }

  summary(printFn: (line: string) => void = console.log): void {
    if (!this.batchInputShapeValue) throw this.notBuilt();
    for (const line of summaryLines(this.name, this.layers, this.outputShapes())) printFn(line);
  }

  countParams(): number {
    return this.layers.reduce((n, l) => n + l.countParams(), 0);
  }

  get weights() {
    return this.layers.flatMap((l) => l.weights);
  }

  get trainableWeights() {
    return this.layers.flatMap((l) => l.trainableWeights);
  }

  getWeights(): Tensor[] {
    return this.layers.flatMap((l) => l.getWeights());
  }

  setWeights(weights: Tensor[]): void {
    const expected = this.weights.length;
    if (weights.length !== expected) throw new Error(`Model '${this.name}' has ${expected} weight tensors, setWeights received ${weights.length}`);
    let k = 0;
    for (const layer of this.layers) {
      layer.setWeights(weights.slice(k, k + layer.weights.length));
      k += layer.weights.length;
    }
  }

  getLayer(nameOrIndex: string | number): Layer {
    const layer = typeof nameOrIndex === 'number' ? this.layers[nameOrIndex] : this.layers.find((l) => l.name === nameOrIndex);
    if (!layer) throw new Error(`Model '${this.name}' has no layer ${JSON.stringify(nameOrIndex)}; its layers are ${this.layers.map((l) => l.name).join(', ')}`);
    return layer;
  }

  /**
   * As TF.js's `await model.save('file://dir')`: writes model.json + weights.bin in the TF.js
   * Layers format to a directory ('file://dir' or a plain path in Node) or to any IOHandler.
   */
  async save(handlerOrUrl: string | IOHandler): Promise<SaveResult> {
    // Imported on demand: src/io depends on this module, and most programs never save.
    const { saveModel } = await import('../io/model_io.js');
    return saveModel(this, handlerOrUrl);
  }

  getConfig(): { name: string; layers: { className: string; config: Record<string, unknown> }[] } {
    return { name: this.name, layers: this.layers.map((l) => ({ className: l.className, config: l.getConfig() })) };
  }
}

/** As `tf.sequential({ layers })`. */
export function sequential(args: SequentialArgs = {}): Sequential {
  return new Sequential(args);
}

export type { Callback, CallbackHooks };
