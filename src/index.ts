/**
 * convlab: convolutional neural networks with the Keras API, named as TensorFlow.js names it.
 */
export { Tensor, tensor, scalar, zeros, ones, fill, isTensor, type NestedArray } from './tensor/tensor.js';
export { setFloatX, getFloatX, setTensorByteLimit, getTensorByteLimit, type DType, type FloatDType } from './tensor/dtype.js';
export { layers, layerClasses, Layer, LayerVariable, SymbolicTensor, type LayerArgs, type SymbolicShape } from './layers/index.js';
export { clearSession } from './layers/layer.js';
export { initializers, type Initializer } from './layers/initializers.js';
export { Sequential, sequential, type CompileArgs } from './models/sequential.js';
export { LayersModel, type PredictArgs } from './models/layers_model.js';
export { Functional, model, input, type InputArgs, type FunctionalArgs } from './models/functional.js';
export type { TensorSet, OutputCompiled } from './models/multi_io.js';
export { replaceHead, type ReplaceHeadArgs } from './models/transfer.js';
export type { FitArgs, EvaluateArgs } from './models/training.js';
export { optimizers, train, Optimizer, SGD, Adam, AdamW, RMSprop, type OptimizerState } from './optimizers/index.js';
export { losses, fromLogits, type LossFn } from './losses/index.js';
export { metrics, type Metric } from './metrics/index.js';
export { callbacks, Callback, History, EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, schedules, Progbar, ProgbarLogger, BatchLearningRateScheduler, stepSchedules, type StepSchedule, type Logs, type CallbackHooks, type ProgressSink } from './callbacks/index.js';
export { setSeed, Random } from './utils/random.js';
export { setBackend, getBackend, registerBackend, listBackends, ready } from './kernels/registry.js';
export { setNumThreads, getNumThreads, wasmInfo } from './kernels/wasm/index.js';
export type { Backend } from './kernels/backend.js';
export { valueAndGrads, grads } from './autograd/backprop.js';
export { noGrad } from './autograd/tape.js';
export * as ops from './ops/index.js';
export { datasets, type LoadedDataset, type LoadOptions, type Cifar10LoadOptions } from './datasets/index.js';
export type { ImageDatasetOptions, ImageFolderDataset, ImageBatch, ImagePreprocessing, SkippedFile } from './datasets/index.js';
export type { BatchDataset, DatasetBatch } from './models/batch_dataset.js';
export { loadLayersModel, saveWeights, loadWeights, ModelFormatError, modelFromJSON, models } from './io/index.js';
export * as io from './io/index.js';
export { zoo, type ZooEntry, type ZooOptions, type TrainDefaults } from './zoo/index.js';
export { saveTrainingState, loadTrainingState } from './io/index.js';
export { ModelCheckpoint, type ModelCheckpointArgs } from './callbacks/index.js';
export * as explain from './explain/index.js';
