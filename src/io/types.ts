/**
 * The TF.js Layers format, as `@tensorflow/tfjs` reads and writes it: a model.json holding
 * `modelTopology` (Keras JSON with snake_case keys) and `weightsManifest` (weight names, shapes,
 * dtypes and the binary shard files that hold them, concatenated in manifest order).
 * These shapes are structurally the same as TF.js's `io.ModelArtifacts` and `io.IOHandler`, so a
 * handler written for one library works with the other.
 */

export type WeightDType = 'float32' | 'float64' | 'int32' | 'uint8';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDType;
}

export interface WeightsManifestGroup {
  /** Shard files relative to model.json; their bytes are concatenated in this order. */
  paths: string[];
  weights: WeightSpec[];
}

/** Everything a saved model consists of, independent of where it is stored. */
export interface ModelArtifacts {
  modelTopology?: Record<string, unknown> | ArrayBuffer;
  weightSpecs?: WeightSpec[];
  /** One buffer, or (TF.js 4.x) several buffers concatenated in order. */
  weightData?: ArrayBuffer | ArrayBuffer[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
}

/** The JSON file itself. */
export interface ModelJSON {
  modelTopology: Record<string, unknown>;
  weightsManifest: WeightsManifestGroup[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  trainingConfig?: Record<string, unknown>;
  userDefinedMetadata?: Record<string, unknown>;
}

export interface ModelArtifactsInfo {
  dateSaved: Date;
  modelTopologyType: 'JSON';
  modelTopologyBytes?: number;
  weightSpecsBytes?: number;
  weightDataBytes?: number;
}

export interface SaveResult {
  modelArtifactsInfo: ModelArtifactsInfo;
  responses?: unknown[];
}

export interface IOHandler {
  save?(artifacts: ModelArtifacts): Promise<SaveResult>;
  load?(): Promise<ModelArtifacts>;
}

export const LAYERS_MODEL_FORMAT = 'layers-model';

export function bytesPerElement(dtype: WeightDType): number {
  return dtype === 'float64' ? 8 : dtype === 'uint8' ? 1 : 4;
}

export function artifactsInfo(artifacts: ModelArtifacts): ModelArtifactsInfo {
  const weightBytes = Array.isArray(artifacts.weightData)
    ? artifacts.weightData.reduce((n, b) => n + b.byteLength, 0)
    : artifacts.weightData?.byteLength ?? 0;
  return {
    dateSaved: new Date(),
    modelTopologyType: 'JSON',
    modelTopologyBytes: artifacts.modelTopology ? JSON.stringify(artifacts.modelTopology).length : 0,
    weightSpecsBytes: artifacts.weightSpecs ? JSON.stringify(artifacts.weightSpecs).length : 0,
    weightDataBytes: weightBytes,
  };
}

/** Joins TF.js 4.x's list of buffers into one. */
export function concatWeightData(data: ArrayBuffer | ArrayBuffer[] | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  if (!Array.isArray(data)) return data;
  const total = data.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out.buffer;
}
