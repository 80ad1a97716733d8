/**
 * Finds each layer's weights in a Keras HDF5 weight store and reads them, shapes checked first.
 * Two layouts exist:
 * - Keras 2 (and Keras 3's legacy .h5): a group per layer named after it, listed in the
 *   `layer_names` attribute, each with a `weight_names` attribute naming its datasets.
 *   Keras pairs them with the model's layers by order (names need not agree); so does convlab
 *   when the names disagree.
 * - Keras 3 (.keras's model.weights.h5 and .weights.h5): `layers/<name>/vars/<i>`, where <name>
 *   is the layer's class in snake_case made unique by a counter (dense, dense_1, ...), not the
 *   layer's own name, and <i> the weight's position in the layer.
 */
import type { LayerVariable } from '../../layers/layer.js';
import { ModelFormatError } from '../limits.js';
import type { Hdf5Reader } from './hdf5.js';
import type { KerasLayerRef } from './config.js';

/**
 * A layer of the model being filled: its Keras identity and its variables (none for InputLayer).
 * A nested model lists its variables in Keras 2's order for it (trainable first) and its layers.
 */
export interface TargetLayer extends KerasLayerRef {
  weights: LayerVariable[];
  layers?: TargetLayer[];
}

export type WeightValues = Map<string, Float32Array | Float64Array>;

/** Keras's naming.to_snake_case: 'BatchNormalization' -> 'batch_normalization', 'ReLU' -> 're_lu'. */
export function kerasSnakeCase(name: string): string {
  const clean = name.replace(/\W+/g, '');
  return clean.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

/** The Keras 3 store path of each layer, as Keras's container walk names them. */
export function keras3LayerPaths(layers: readonly KerasLayerRef[], prefix = 'layers'): string[] {
  const used = new Map<string, number>();
  return layers.map((l) => {
    let name = kerasSnakeCase(l.className);
    const seen = used.get(name);
    if (seen === undefined) used.set(name, 0);
    else {
      used.set(name, seen + 1);
      name = `${name}_${seen + 1}`;
    }
    return `${prefix}/${name}`;
  });
}

function readInto(out: WeightValues, reader: Hdf5Reader, variable: LayerVariable, path: string): void {
  const values = reader.readFloats(path, variable.shape);
  out.set(variable.name, values);
}

/** Keras 3 layout: layers/<class_name_n>/vars/<i>. */
export function readKeras3Weights(reader: Hdf5Reader, layers: readonly TargetLayer[], rootPath = ''): WeightValues {
  const out: WeightValues = new Map();
  const paths = keras3LayerPaths(layers, rootPath ? `${rootPath}/layers` : 'layers');
  const layersGroup = reader.group(rootPath ? `${rootPath}/layers` : 'layers');
  if (!layersGroup) {
    const nested = rootPath.startsWith('layers/') || rootPath.includes('/layers/');
    throw new ModelFormatError(nested
      ? `${reader.what}: no '${rootPath}/layers' group for the weights of a nested model; Keras 3 keeps them at layers/<model class>/layers/<layer class>/vars`
      : `${reader.what}: no 'layers' group; this is not a Keras 3 weights file`);
  }
  layers.forEach((layer, i) => {
    if (layer.weights.length === 0) return;
    if (layer.layers) {
      // A nested model: layers/<model class_n>/layers/<class_n>/vars/<i>, as saving_lib walks it.
      for (const [name, values] of readKeras3Weights(reader, layer.layers, paths[i])) out.set(name, values);
      return;
    }
    const vars = reader.group(`${paths[i]}/vars`);
    if (!vars) {
      const present = reader.keys(layersGroup).slice(0, 16).join(', ');
      throw new ModelFormatError(`${reader.what}: no weights for layer '${layer.name}' (${layer.className}) at '${paths[i]}/vars'; the file has layers/${present}`);
    }
    const keys = reader.keys(vars);
    if (keys.length !== layer.weights.length) {
      throw new ModelFormatError(`${reader.what}: layer '${layer.name}' (${layer.className}) has ${layer.weights.length} weights but '${paths[i]}/vars' holds ${keys.length}`);
    }
    layer.weights.forEach((v, k) => readInto(out, reader, v, `${paths[i]}/vars/${k}`));
  });
  return out;
}

/** Keras 2 wrote `layer_names` as an array of byte strings; one real file holds its Python repr instead. */
export function stringList(value: unknown): string[] | null {
  // h5py writes an empty list as an empty float array.
  if (ArrayBuffer.isView(value) && (value as Float64Array).length === 0) return [];
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  if (typeof value === 'string') {
    if (value.startsWith('[')) {
      const names = [...value.matchAll(/b?'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]);
      return names;
    }
    return [value];
  }
  return null;
}

interface Keras2Layer {
  name: string;
  weightPaths: string[];
}

function keras2Layers(reader: Hdf5Reader, rootPath: string): Keras2Layer[] {
  const root = reader.group(rootPath);
  if (!root) throw new ModelFormatError(`${reader.what}: no '${rootPath}' group`);
  const names = stringList(reader.attr(root, 'layer_names'));
  if (!names) throw new ModelFormatError(`${reader.what}: '${rootPath || '/'}' has no layer_names attribute; this is not a Keras weights file`);
  return names.map((name) => {
    const group = reader.group(rootPath ? `${rootPath}/${name}` : name);
    if (!group) throw new ModelFormatError(`${reader.what}: layer_names lists '${name}' but there is no such group`);
    const weightNames = stringList(reader.attr(group, 'weight_names') ?? []);
    if (!weightNames) throw new ModelFormatError(`${reader.what}: the weight_names attribute of '${name}' is not a list of names`);
    return { name, weightPaths: weightNames.map((w) => `${group.path.replace(/^\//, '')}/${w}`) };
  });
}

/** The part of a Keras 2 weight name that names the weight: 'dense_1/kernel:0' -> 'kernel'. */
function baseName(path: string): string {
  return path.split('/').pop()!.replace(/:\d+$/, '');
}

/**
 * The file path of each variable when every one is found by its whole name ('conv2d/kernel' as
 * '.../conv2d/kernel:0'), each path used once; else null.
 */
function fullNameMatch(variables: readonly LayerVariable[], paths: readonly string[]): string[] | null {
  if (!variables.some((v) => v.name.includes('/')) || new Set(variables.map((v) => v.name)).size !== variables.length) return null;
  const used = new Set<string>();
  const found: string[] = [];
  for (const v of variables) {
    const matches = paths.filter((p) => {
      const name = p.replace(/:\d+$/, '');
      return name === v.name || name.endsWith(`/${v.name}`);
    });
    if (matches.length !== 1 || used.has(matches[0])) return null;
    used.add(matches[0]);
    found.push(matches[0]);
  }
  return found;
}

/** Keras 2 layout: match layers by name when every name is found, by order otherwise (as Keras). */
export function readKeras2Weights(reader: Hdf5Reader, layers: readonly TargetLayer[], rootPath: string): WeightValues {
  const out: WeightValues = new Map();
  const fileLayers = keras2Layers(reader, rootPath).filter((l) => l.weightPaths.length > 0);
  const modelLayers = layers.filter((l) => l.weights.length > 0);
  const byName = new Map(fileLayers.map((l) => [l.name, l]));
  const namesAgree = modelLayers.every((l) => byName.has(l.name)) && fileLayers.length === modelLayers.length;
  if (!namesAgree && fileLayers.length !== modelLayers.length) {
    throw new ModelFormatError(`${reader.what}: the file holds weights for ${fileLayers.length} layers (${fileLayers.slice(0, 8).map((l) => l.name).join(', ')}) but the model has ${modelLayers.length} layers with weights (${modelLayers.slice(0, 8).map((l) => l.name).join(', ')})`);
  }
  modelLayers.forEach((layer, i) => {
    const source = namesAgree ? byName.get(layer.name)! : fileLayers[i];
    if (source.weightPaths.length !== layer.weights.length) {
      throw new ModelFormatError(`${reader.what}: layer '${layer.name}' (${layer.className}) has ${layer.weights.length} weights but the file's '${source.name}' has ${source.weightPaths.length}`);
    }
    // A nested model's group holds its layers' weights, named '<layer>/<weight>:0': by those names.
    const full = fullNameMatch(layer.weights, source.weightPaths);
    if (full) {
      layer.weights.forEach((v, k) => readInto(out, reader, v, full[k]));
      return;
    }
    // Within a layer, match by weight name ('kernel', 'gamma') when they agree, else by position.
    const suffixes = layer.weights.map((v) => v.name.slice(v.name.lastIndexOf('/') + 1));
    const bases = source.weightPaths.map(baseName);
    const sameNames = suffixes.every((s) => bases.includes(s)) && new Set(bases).size === bases.length;
    layer.weights.forEach((v, k) => readInto(out, reader, v, source.weightPaths[sameNames ? bases.indexOf(suffixes[k]) : k]));
  });
  return out;
}

/** Which layout a weights store uses: Keras 3 has a 'layers' group, Keras 2 a layer_names attribute. */
export function weightLayout(reader: Hdf5Reader, rootPath: string): 'keras2' | 'keras3' | null {
  const root = reader.group(rootPath);
  if (!root) return null;
  if (reader.attr(root, 'layer_names') !== undefined) return 'keras2';
  if (reader.group(rootPath ? `${rootPath}/layers` : 'layers')) return 'keras3';
  return null;
}
