/**
 * Layer names made unique across a model and the models nested in it. Keras requires unique
 * names only among one model's own layers, so a base loaded with a Dense called 'dense' and a new
 * head whose Dense Keras also called 'dense' live together in one Keras file. convlab names each
 * weight '<layer>/<weight>' in one list per model (as TF.js does), so such a nested layer is
 * renamed 'dense_1' (the parent keeps its names), with a note. Keras 3 finds weights by path and
 * Keras 2 by order where names disagree, so the weights still load.
 */
import { isPlainObject } from '../limits.js';
import type { KerasLayerRef } from './config.js';

type Entry = Record<string, unknown> & { class_name?: unknown; config?: unknown };

const MODEL_ENTRY = new Set(['Sequential', 'Model', 'Functional']);

/** Renames references ([name, node, tensor, kwargs] lists, at any depth) by the map. */
function renameRefs(value: unknown, renames: Map<string, string>, depth = 0): unknown {
  if (!Array.isArray(value) || depth > 6) return value;
  if (typeof value[0] === 'string' && renames.has(value[0]) && typeof value[1] === 'number') return [renames.get(value[0]), ...value.slice(1)];
  return value.map((v) => renameRefs(v, renames, depth + 1));
}

/**
 * Renames, in place, the layers of nested models whose names the model (or a model visited
 * before) already uses; `refs` (one per layer, in the same order) follow.
 */
export function uniqueNestedNames(topologyConfig: Record<string, unknown>, refs: KerasLayerRef[], notes: string[]): void {
  const used = new Set<string>();
  const queue: { config: Record<string, unknown>; refs: KerasLayerRef[]; path: string }[] = [{ config: topologyConfig, refs, path: '' }];
  while (queue.length > 0) {
    const { config, refs: modelRefs, path } = queue.shift()!;
    const list = Array.isArray(config.layers) ? (config.layers as Entry[]) : [];
    const renames = new Map<string, string>();
    list.forEach((entry, i) => {
      const layerConfig = isPlainObject(entry.config) ? entry.config : null;
      const name = layerConfig && typeof layerConfig.name === 'string' ? layerConfig.name : null;
      if (!layerConfig || name === null || entry.class_name === 'InputLayer') return;
      let fresh = name;
      for (let n = 1; used.has(fresh); n++) fresh = `${name}_${n}`;
      used.add(fresh);
      if (fresh !== name) {
        renames.set(name, fresh);
        layerConfig.name = fresh;
        if (typeof entry.name === 'string') entry.name = fresh;
        if (modelRefs[i]) modelRefs[i] = { ...modelRefs[i], name: fresh };
        notes.push(`layer '${name}' of the nested model '${path}' was renamed '${fresh}': the parent model has a layer of that name`);
      }
    });
    if (renames.size > 0) {
      for (const entry of list) if (Array.isArray(entry.inbound_nodes)) entry.inbound_nodes = renameRefs(entry.inbound_nodes, renames);
      for (const key of ['input_layers', 'output_layers']) if (config[key] !== undefined) config[key] = renameRefs(config[key], renames);
    }
    list.forEach((entry, i) => {
      if (MODEL_ENTRY.has(entry.class_name as string) && isPlainObject(entry.config)) {
        const inner = modelRefs[i]?.layers ?? [];
        queue.push({ config: entry.config, refs: inner, path: String(entry.config.name) });
      }
    });
  }
}
