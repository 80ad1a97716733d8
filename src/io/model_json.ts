import { type LoadLimits, ModelFormatError, checkNoForbiddenKeys, describe, isPlainObject, parseJsonSafely } from './limits.js';
import { checkWeightSpecs, type CheckedSpec } from './weights.js';
import type { ModelArtifacts, ModelJSON, WeightSpec } from './types.js';

/** A weights-manifest group after validation: its shard paths and the bytes it must hold. */
export interface CheckedGroup {
  paths: string[];
  specs: CheckedSpec[];
  totalBytes: number;
}

/**
 * Shard paths are relative file names next to model.json. Anything that could escape that
 * directory or name another resource (absolute paths, '..', URLs, NUL bytes) is refused.
 */
export function checkShardPath(path: unknown, what: string): string {
  if (typeof path !== 'string' || path.length === 0 || path.length > 255) {
    throw new ModelFormatError(`${what}: a shard path must be a non-empty string of at most 255 characters, received ${describe(path)}`);
  }
  const bad = path.startsWith('/') || path.includes('\\') || path.includes('\0') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path) || path.split('/').some((seg) => seg === '..' || seg === '');
  if (bad) throw new ModelFormatError(`${what}: shard path ${JSON.stringify(path)} is not a plain relative file name; paths may not be absolute, contain '..', backslashes or a URL scheme`);
  return path;
}

/** Parses and validates model.json: topology present, manifest groups well formed, sizes within limits. */
export function parseModelJson(text: string, what: string, limits: LoadLimits): { json: ModelJSON; groups: CheckedGroup[] } {
  const parsed = parseJsonSafely(text, what, limits);
  return checkModelJson(parsed, what, limits);
}

export function checkModelJson(parsed: unknown, what: string, limits: LoadLimits): { json: ModelJSON; groups: CheckedGroup[] } {
  checkNoForbiddenKeys(parsed, what, limits);
  if (!isPlainObject(parsed)) throw new ModelFormatError(`${what} must hold a JSON object with modelTopology and weightsManifest, received ${describe(parsed)}`);
  if (!isPlainObject(parsed.modelTopology) && typeof parsed.class_name === 'string' && parsed.config !== undefined) {
    throw new ModelFormatError(`${what} is a Keras model.to_json() file (an architecture without weights); read it with modelFromJSON(text) and load the weights with model.loadWeights(file)`);
  }
  if (!isPlainObject(parsed.modelTopology)) {
    throw new ModelFormatError(`${what} has no modelTopology object; this is not a TF.js Layers model (a graph model or a weights-only file?)`);
  }
  if (parsed.format !== undefined && parsed.format !== null && parsed.format !== 'layers-model') {
    throw new ModelFormatError(`${what} has format ${describe(parsed.format)}; convlab reads 'layers-model' files`);
  }
  const manifest = parsed.weightsManifest ?? [];
  if (!Array.isArray(manifest)) throw new ModelFormatError(`${what}: weightsManifest must be an array of {paths, weights}, received ${describe(manifest)}`);
  const groups = checkManifest(manifest, what, limits);
  return { json: parsed as unknown as ModelJSON, groups };
}

export function checkManifest(manifest: unknown[], what: string, limits: LoadLimits): CheckedGroup[] {
  let grandTotal = 0;
  const names = new Set<string>();
  return manifest.map((group, g) => {
    const at = `${what}: weightsManifest[${g}]`;
    if (!isPlainObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw new ModelFormatError(`${at} must be {paths: [...], weights: [...]}, received ${describe(group)}`);
    }
    if (group.paths.length === 0 && group.weights.length > 0) throw new ModelFormatError(`${at} lists weights but no shard files`);
    if (group.paths.length > 10000) throw new ModelFormatError(`${at} lists ${group.paths.length} shard files; at most 10000 are accepted`);
    const paths = group.paths.map((p) => checkShardPath(p, at));
    const { specs, totalBytes } = checkWeightSpecs(group.weights, at, { ...limits, maxWeightBytes: limits.maxWeightBytes - grandTotal });
    for (const s of specs) {
      if (names.has(s.name)) throw new ModelFormatError(`${what}: weight '${s.name}' appears in two manifest groups`);
      names.add(s.name);
    }
    grandTotal += totalBytes;
    return { paths, specs, totalBytes };
  });
}

/** The flat weight list of all groups, with offsets into their concatenation. */
export function flattenGroups(groups: CheckedGroup[]): WeightSpec[] {
  return groups.flatMap((g) => g.specs.map(({ name, shape, dtype }) => ({ name, shape, dtype })));
}

/** model.json for artifacts whose weights are stored in `shardName`. */
export function artifactsToModelJson(artifacts: ModelArtifacts, shardName: string): ModelJSON {
  if (!artifacts.modelTopology || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('Saving: the artifacts have no JSON modelTopology');
  }
  const json: ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: artifacts.weightSpecs && artifacts.weightSpecs.length > 0 ? [shardName] : [], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  return json;
}
