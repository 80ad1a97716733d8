import { noGrad } from '../autograd/tape.js';
import { runStep, toHeap } from '../kernels/arena.js';
import type { History } from '../callbacks/history.js';
import type { IOHandler, SaveResult } from '../io/types.js';
import { Progbar } from '../callbacks/progbar.js';
import { Layer, formatSymbolic, type LayerVariable, type SymbolicShape } from '../layers/layer.js';
import { losses, resolveLoss, smoothLabels, type LossFn, type LossName } from '../losses/index.js';
import { resolveMetric } from '../metrics/index.js';
import { resolveOptimizer, type Optimizer } from '../optimizers/index.js';
import { allocate, type FloatDType } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { batchOf, checkTensor, checkedFloatBatch, inputFloatDType } from './data.js';
import { checkInputs } from './input_checks.js';
import { add, mul } from '../ops/arithmetic.js';
import { gatherElements } from '../ops/gather.js';
import { evaluateModel, fitModel, type EvaluateArgs, type FitArgs } from './training.js';
import { compileOutputs, isGraphModel, type OutputCompiled, type TensorSet } from './multi_io.js';
import { checkDatasetModel, evaluateMulti, fitMulti, predictMulti, usesMultiPath } from './multi_io_training.js';
import { evaluateDataset, fitDataset, isBatchDataset, predictDataset, type BatchDataset } from './batch_dataset.js';

export interface CompileArgs {
  optimizer: string | Optimizer;
  /** One loss for every output, or (several outputs) one per output as an array or {outputName: loss}. */
  loss: string | LossFn | Array<string | LossFn> | Record<string, string | LossFn>;
  /** Names for every output, or (several outputs) per output as an array of lists or {outputName: names}. */
  metrics?: string[] | string | Array<string | string[]> | Record<string, string | string[]>;
  /** Each output's factor in the total loss, as Keras's loss_weights: [1, 0.5] or {outputName: 0.5}. */
  lossWeights?: number[] | Record<string, number>;
  /**
   * For (sparse) categorical cross-entropy: train against onehot * (1 - s) + s / classes, as
   * Keras's `label_smoothing`. Metrics still use the true labels.
   */
  labelSmoothing?: number;
}

export interface Compiled {
  optimizer: Optimizer;
  lossName: LossName | null;
  lossFn: LossFn;
  metricIds: string[];
  labelSmoothing: number;
  /** Models with several outputs (or a loss weight): how each output is trained (src/models/multi_io.ts). */
  perOutput?: OutputCompiled[];
}

export interface PredictArgs {
  batchSize?: number;
  /** Progress bar as in Keras (default 0: silent, as TF.js). */
  verbose?: number;
  /** Average with the prediction for each image mirrored left-right (test-time augmentation). */
  flipAverage?: boolean;
  /** Check float inputs for NaN and ±Infinity once before predicting (default true). */
  checkFinite?: boolean;
}

/** Variables in order, each once (a layer shared between a nested model and its parent). */
function uniqueVariables(list: LayerVariable[]): LayerVariable[] {
  return list.length === new Set(list).size ? list : [...new Set(list)];
}

/** Each image mirrored left-right (NHWC). */
function flipHorizontal(x: Tensor): Tensor {
  const [n, h, w, c] = x.shape;
  const source = new Int32Array(x.size);
  let i = 0;
  for (let b = 0; b < n; b++)
    for (let r = 0; r < h; r++)
      for (let col = 0; col < w; col++)
        for (let ch = 0; ch < c; ch++) source[i++] = ((b * h + r) * w + (w - 1 - col)) * c + ch;
  return gatherElements(x, source, x.shape);
}

/**
 * What every model shares, as TF.js's LayersModel: compile, fit, evaluate, predict and the
 * weights. Subclasses say how layers connect (Sequential: a stack; Functional: a graph).
 * A model is a Layer, as in TF.js and Keras, so it nests: `sequential({ layers: [base, ...] })`,
 * `model.add(base)` or `base.apply(symbolicTensor)`; src/io/nested_topology.ts saves them.
 */
export abstract class LayersModel extends Layer {
  abstract override readonly className: string;
  abstract readonly layers: Layer[];
  compiled: Compiled | null = null;
  /** Set to true (e.g. from a callback) to stop fit after the current batch. */
  stopTraining = false;
  /** The History of the latest fit, kept even when fit throws. */
  history: History | null = null;

  constructor(name: string) {
    super({ name }, 'Model');
  }

  /** Runs the model; with `logits`, the final softmax is left out (for fused cross-entropy). */
  abstract override call(x: Tensor, training?: boolean, logits?: boolean): Tensor;
  /**
   * Validates x against the model's input, building the model on first use. Given a shape
   * (the model used as a layer), only checks it.
   */
  abstract override checkInput(x: Tensor | readonly (number | null)[]): void;
  abstract get inputShape(): SymbolicShape;
  abstract get outputShape(): SymbolicShape;
  abstract summary(printFn?: (line: string) => void): void;
  /** The layer whose output is the model's output. */
  protected abstract outputLayer(): Layer | undefined;

  /** Whether the model ends in a softmax whose input can feed a fused cross-entropy. */
  endsInSoftmax(): boolean {
    const last = this.outputLayer() as unknown as { activation?: string; callLinear?: unknown } | undefined;
    return Boolean(last && last.activation === 'softmax' && typeof last.callLinear === 'function');
  }

  compile(args: CompileArgs): void {
    if (!args || args.optimizer === undefined || args.loss === undefined) {
      throw new Error('compile: expected { optimizer, loss, metrics? }, e.g. { optimizer: "adam", loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] }');
    }
    const optimizer = resolveOptimizer(args.optimizer);
    const perOutputArgs = typeof args.loss === 'object' || args.lossWeights !== undefined || (typeof args.metrics === 'object' && !(Array.isArray(args.metrics) && args.metrics.every((m) => typeof m === 'string')));
    if (perOutputArgs && !isGraphModel(this)) {
      throw new Error(`compile: model '${this.name}' (${this.className}) has one output; give loss as one name or function and metrics as a list of names, received loss ${JSON.stringify(args.loss)}${args.lossWeights !== undefined ? ` and lossWeights ${JSON.stringify(args.lossWeights)}` : ''}`);
    }
    if (isGraphModel(this) && (this.outputs.length > 1 || perOutputArgs)) {
      const outputs = compileOutputs(this, args);
      const only = outputs.length === 1 && outputs[0].weight === 1 ? outputs[0] : null;
      const lossFn: LossFn = only ? only.lossFn : () => { throw new Error(`Model '${this.name}' has several outputs (or loss weights); its loss is computed per output`); };
      this.compiled = { optimizer, lossName: only?.lossName ?? null, lossFn, metricIds: only?.metricIds ?? [], labelSmoothing: args.labelSmoothing ?? 0, ...(only ? {} : { perOutput: outputs }) };
      return;
    }
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
    const metricIds = args.metrics === undefined ? [] : typeof args.metrics === 'string' ? [args.metrics] : [...(args.metrics as string[])];
    // Resolve once now so that a misspelt metric fails at compile time, not after the first epoch.
    for (const id of metricIds) resolveMetric(id, { lossName: lossName ?? '', outputUnits: 2 });
    const labelSmoothing = args.labelSmoothing ?? 0;
    if (!(labelSmoothing >= 0 && labelSmoothing < 1)) throw new Error(`compile: labelSmoothing must be in [0, 1), received ${args.labelSmoothing}`);
    if (labelSmoothing > 0) {
      if (lossName !== 'sparseCategoricalCrossentropy' && lossName !== 'categoricalCrossentropy') {
        throw new Error(`compile: labelSmoothing applies to sparseCategoricalCrossentropy and categoricalCrossentropy, not to ${lossName ?? 'a custom loss'}`);
      }
      lossFn = (yTrue, yPred) => {
        const classes = yPred.shape[yPred.rank - 1];
        return losses.categoricalCrossentropy(smoothLabels(yTrue, classes, labelSmoothing, yPred.dtype as FloatDType), yPred.reshape([-1, classes]));
      };
    }
    this.compiled = { optimizer, lossName, lossFn, metricIds, labelSmoothing };
  }

  get optimizer(): Optimizer | null {
    return this.compiled?.optimizer ?? null;
  }

  /** fit(x, y, args) on tensors, or fit(dataset, args) on a dataset such as imageDatasetFromDirectory's. */
  async fit(x: TensorSet, y: TensorSet, args?: FitArgs): Promise<History>;
  async fit(dataset: BatchDataset, args?: FitArgs): Promise<History>;
  async fit(x: TensorSet | BatchDataset, y?: TensorSet | FitArgs, args: FitArgs = {}): Promise<History> {
    if (isBatchDataset(x)) return (checkDatasetModel(this, 'fit'), fitDataset(this, x, (y as FitArgs | undefined) ?? {}));
    // Several inputs or outputs (or arrays / {name: tensor} objects): src/models/multi_io_training.ts.
    if (usesMultiPath(this, x, y)) return fitMulti(this, x, y, args);
    return fitModel(this, x as Tensor, y as Tensor, args);
  }

  /** [loss, ...metrics]; for a dataset, a Promise of them. */
  evaluate(x: TensorSet, y: TensorSet, args?: EvaluateArgs): number[];
  evaluate(dataset: BatchDataset, args?: EvaluateArgs): Promise<number[]>;
  evaluate(x: TensorSet | BatchDataset, y?: TensorSet | EvaluateArgs, args: EvaluateArgs = {}): number[] | Promise<number[]> {
    if (isBatchDataset(x)) return (checkDatasetModel(this, 'evaluate'), evaluateDataset(this, x, (y as EvaluateArgs | undefined) ?? {}));
    if (usesMultiPath(this, x, y)) return evaluateMulti(this, x, y, args);
    return evaluateModel(this, x as Tensor, y as Tensor, args);
  }

  /** Class probabilities (or whatever the last layer outputs), computed in batches; silent by default, as TF.js. For a dataset, a Promise, rows in the dataset's order. */
  predict(x: Tensor, args?: PredictArgs): Tensor;
  /** Several inputs (an array or {inputName: tensor}) or several outputs: one tensor per output. */
  predict(x: TensorSet, args?: PredictArgs): Tensor | Tensor[];
  predict(dataset: BatchDataset, args?: PredictArgs): Promise<Tensor>;
  predict(x: TensorSet | BatchDataset, args: PredictArgs = {}): Tensor | Tensor[] | Promise<Tensor> {
    if (isBatchDataset(x)) return (checkDatasetModel(this, 'predict'), predictDataset(this, x));
    if (usesMultiPath(this, x)) return predictMulti(this, x, args);
    checkTensor(x, 'x', 'predict');
    // NaN and ±Infinity are looked for batch by batch, in the copy the kernels read (data.ts).
    checkInputs([[x, 'x']], 'predict', false);
    const checkFinite = args.checkFinite !== false;
    this.checkInput(x);
    const batchSize = args.batchSize ?? 32;
    const n = x.shape[0];
    const floatDType = inputFloatDType(x);
    const outRow = this.outputShape.slice(1) as number[];
    const rowSize = outRow.reduce((p, d) => p * d, 1);
    const out = allocate(floatDType, n * rowSize);
    const steps = Math.ceil(n / batchSize);
    const bar = (args.verbose ?? 0) > 0 ? new Progbar(steps, args.verbose) : null;
    if (args.flipAverage && x.rank !== 4) throw new Error(`predict: flipAverage needs images [n, height, width, channels], received shape [${x.shape}]`);
    noGrad(() => {
      for (let step = 0; step < steps; step++) {
        const start = step * batchSize;
        const end = Math.min(start + batchSize, n);
        // `out` was allocated before the step, on the heap: the batch's rows are copied into it.
        runStep(() => {
          const view = batchOf(x, null, start, end, floatDType);
          const batch = checkFinite ? checkedFloatBatch(view, x, start, 'x', 'predict') : view;
          let y = this.call(batch, false);
          // Test-time augmentation: the mean of the predictions for the image and its mirror.
          if (args.flipAverage) y = mul(add(y, this.call(flipHorizontal(batch), false)), 0.5);
          out.set(y.data as Float32Array, start * rowSize);
        });
        bar?.update(step + 1);
      }
    });
    return new Tensor(out, [n, ...outRow]);
  }

  /** One batch, as `model.predictOnBatch`. */
  predictOnBatch(x: Tensor): Tensor;
  predictOnBatch(x: TensorSet): Tensor | Tensor[];
  predictOnBatch(x: TensorSet): Tensor | Tensor[] {
    if (usesMultiPath(this, x)) return predictMulti(this, x, { batchSize: Number.MAX_SAFE_INTEGER, checkFinite: false });
    this.checkInput(x as Tensor);
    return noGrad(() => runStep(() => {
      const y = this.call(batchOf(x as Tensor, null, 0, (x as Tensor).shape[0], inputFloatDType(x as Tensor)), false);
      return new Tensor(toHeap(y.data as Float32Array | Float64Array), y.shape);
    }));
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

  /**
   * As Keras's `model.load_weights(path)`: weights from a Python Keras file (.weights.h5, a
   * Keras 2 save_weights .h5, a full .h5 or .keras; recognised by content, also as bytes) or a
   * convlab/TF.js weights directory. Nothing changes unless every weight fits.
   */
  async loadWeights(source: string | IOHandler | Uint8Array, options?: import('../io/weights_io.js').LoadWeightsOptions): Promise<import('../io/weights_io.js').LoadWeightsReport> {
    const { loadWeights } = await import('../io/weights_io.js');
    return loadWeights(this, source, options);
  }

  override countParams(): number {
    return this.weights.reduce((n, w) => n + w.value.size, 0);
  }

  /** Every layer's variables, nested models' included, each once even where a layer is shared. */
  override get weights(): LayerVariable[] {
    return uniqueVariables(this.layers.flatMap((l) => l.weights));
  }

  /** As Keras 3: none when the model is frozen, else its trainable layers' trainable weights. */
  override get trainableWeights(): LayerVariable[] {
    if (!this.trainable) return [];
    return uniqueVariables(this.layers.flatMap((l) => l.trainableWeights));
  }

  override get nonTrainableWeights(): LayerVariable[] {
    if (!this.trainable) return this.weights;
    const trainable = new Set(this.trainableWeights);
    return this.weights.filter((w) => !trainable.has(w));
  }

  /** The model's own flag (Keras 3's): false after `model.trainable = false`. */
  override get trainable(): boolean {
    return super.trainable;
  }

  /**
   * As Keras's `model.trainable = false`: freezes (or unfreezes) every layer, nested models' too,
   * e.g. a base model before a new head is trained on it; a frozen BatchNormalization then runs
   * in inference mode. Takes effect at the next fit; no recompile needed.
   */
  override set trainable(value: boolean) {
    super.trainable = value;
    // Undefined while Layer's constructor runs, before the subclass has its layers.
    for (const layer of this.layers ?? []) layer.trainable = value;
  }

  override getWeights(): Tensor[] {
    return this.weights.map((w) => new Tensor(w.value.data.slice(), w.value.shape));
  }

  override setWeights(weights: Tensor[]): void {
    const variables = this.weights;
    if (weights.length !== variables.length) throw new Error(`Model '${this.name}' has ${variables.length} weight tensors, setWeights received ${weights.length}`);
    // Shapes first, so that nothing changes unless every value fits.
    variables.forEach((v, i) => {
      const shape = weights[i]?.shape;
      if (!shape || shape.length !== v.shape.length || shape.some((d, k) => d !== v.shape[k])) {
        throw new Error(`Model '${this.name}': setWeights value ${i} for '${v.name}' has shape ${shape ? formatSymbolic([...shape]) : String(weights[i])}, expected ${formatSymbolic([...v.shape])}`);
      }
    });
    variables.forEach((v, i) => v.assign(weights[i]));
  }

  /** A functional model is built when it is made (Sequential overrides these). */
  override get built(): boolean {
    return true;
  }

  override set built(_value: boolean) {
    // Nothing to record: a model knows from its layers whether it is built.
  }

  override build(_inputShape: SymbolicShape): void {
    // A functional model's layers were built when the graph was made.
  }

  /** Used as a layer: the input must fit the model's input; the output is the model's output. */
  override validateInput(shape: readonly (number | null)[]): void {
    if (!this.built) return;
    const expected = this.inputShape;
    const mismatch = expected.length !== shape.length || expected.some((d, i) => i > 0 && d !== null && shape[i] !== null && d !== shape[i]);
    if (mismatch) {
      throw new Error(`Input of model '${this.name}' (${this.className}, used as a layer) is incompatible: expected shape ${formatSymbolic(expected)}, received ${formatSymbolic([null, ...shape.slice(1)])}`);
    }
  }

  override computeOutputShape(inputShape: SymbolicShape): SymbolicShape {
    this.validateInput(inputShape);
    return [inputShape[0] ?? null, ...this.outputShape.slice(1)];
  }

  getLayer(nameOrIndex: string | number): Layer {
    const layer = typeof nameOrIndex === 'number' ? this.layers[nameOrIndex] : this.layers.find((l) => l.name === nameOrIndex);
    if (!layer) throw new Error(`Model '${this.name}' has no layer ${JSON.stringify(nameOrIndex)}; its layers are ${this.layers.map((l) => l.name).join(', ')}`);
    return layer;
  }
}
