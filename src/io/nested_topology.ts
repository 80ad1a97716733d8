/**
 * Models nested as layers in saved topologies (TF.js model.json, Keras 2 and Keras 3 configs).
 * A nested model is written where a layer would be, as {class_name, config} with the model's own
 * config ({name, layers} for a Sequential; {name, layers, input_layers, output_layers} for a
 * functional model), as TF.js's Container and Keras's Functional do.
 *
 * Graph references name a node of the layer they read from. Keras and TF.js number a nested
 * model's nodes from 1 when the model was made with its input (its node 0 links its own input
 * to its output and is not saved): Keras 2 and TF.js do so for functional models and for
 * Sequential models whose input shape is declared, Keras 3 for functional models only.
 */
import type { Layer } from '../layers/layer.js';
import { Functional } from '../models/functional.js';
import { LayersModel } from '../models/layers_model.js';
import { Sequential } from '../models/sequential.js';

/** Class names under which Keras and TF.js save models. */
export const MODEL_CLASS_NAMES = new Set(['Sequential', 'Functional', 'Model']);

/** Deepest nesting of models inside models that a loader accepts. */
export const MAX_MODEL_NESTING = 16;

export function isModel(layer: Layer): layer is LayersModel {
  return layer instanceof LayersModel;
}

/** The class name a nested model is saved under in TF.js and Keras 2 files. */
export function savedClassName(layer: Layer): string {
  return layer instanceof Functional ? 'Model' : layer.className;
}

/** The node index by which a graph refers to the first call of `layer` (0 for plain layers). */
export function firstNodeIndex(layer: Layer, generation: 'keras2' | 'keras3'): number {
  if (layer instanceof Functional) return 1;
  if (generation === 'keras3' || !(layer instanceof Sequential)) return 0;
  // A Sequential declares its input by its first layer's shape, or by a first layer that is a
  // model with a declared input (TF.js and Keras 2 then give it an input node at construction).
  const first = layer.layers[0];
  if (first instanceof LayersModel) return firstNodeIndex(first, generation);
  return layer.getConfig().layers[0]?.config.batchInputShape ? 1 : 0;
}

/** Each model nested in `model`, at any depth, once. */
export function nestedModels(model: LayersModel): LayersModel[] {
  const out: LayersModel[] = [];
  const visit = (m: LayersModel) => {
    for (const l of m.layers) {
      if (l instanceof LayersModel && !out.includes(l)) {
        out.push(l);
        visit(l);
      }
    }
  };
  visit(model);
  return out;
}

/**
 * Weight names must be unique across a model and the models nested in it (TF.js and Keras 2
 * files list weights by name). Names collide when a nested model and its parent hold layers of
 * the same name, as loaded models may.
 */
export function checkUniqueWeightNames(model: LayersModel, what: string): void {
  const seen = new Set<string>();
  for (const w of model.weights) {
    if (seen.has(w.name)) {
      throw new Error(`${what}: two weights are named '${w.name}': a model nested in '${model.name}' has a layer of the same name as another layer; give the layers distinct names`);
    }
    seen.add(w.name);
  }
}
