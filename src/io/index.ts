/**
 * Saving and loading models: the TF.js Layers format (model.json + weight shards) both ways,
 * weights alone, training checkpoints, and ONNX export. The modules here never import Node's
 * file system at load time, so this index is safe for browser bundles.
 */
export type { ModelArtifacts, ModelJSON, WeightSpec, WeightsManifestGroup, IOHandler, SaveResult, ModelArtifactsInfo } from './types.js';
export { DEFAULT_LIMITS, ModelFormatError, type LoadLimits } from './limits.js';
export { modelToArtifacts, artifactsToModel, saveModel, loadLayersModel, type LoadOptions } from './model_io.js';
export { fileSystem } from './node_file.js';
export { resolveHandler, registerScheme } from './router.js';
export { saveWeights, loadWeights, type LoadWeightsOptions, type LoadWeightsReport } from './weights_io.js';
export { saveTrainingState, loadTrainingState, readTrainingState, TRAINING_STATE_JSON, type SaveTrainingStateArgs, type LoadedTrainingState, type TrainingStateFile } from './checkpoint.js';
export type { HistoryRecord } from './training_state.js';
export { exportOnnx, type OnnxExportOptions } from './onnx/export.js';
export { exportOnnxFile } from './onnx/file.js';
export { indexedDbHandler, downloadsHandler, browserFiles, httpHandler, browserModels } from './browser.js';
export { fromKerasBytes, toKerasBytes, loadNotes, isKerasFile } from './keras/handler.js';
export { modelFromJSON, models, type ModelFromJsonOptions } from './keras/from_json.js';
