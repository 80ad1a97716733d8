/**
 * Python Keras cannot be installed here, so files convlab writes are checked by structure
 * against real Keras files of the same architecture (../shared/keras-models): a model read from
 * the Keras file and saved again by convlab must have the same zip entries, the same HDF5 groups,
 * datasets (names, shapes, dtypes) and attributes, and the same config keys and values, except for
 * the differences listed (and explained) in docs/keras.md.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { io, loadLayersModel } from '../../src/index.js';
import { Hdf5Reader } from '../../src/io/keras/hdf5.js';

const MODELS = fileURLToPath(new URL('../../../shared/keras-models/', import.meta.url));
const skip = existsSync(MODELS) ? false : `no ${MODELS} (CI puts ../shared beside the clone)`;

/** Every group and dataset below the root: 'path' -> 'G [attrs]' or 'D shape dtype [attrs]'. */
async function h5Tree(bytes: Uint8Array): Promise<Map<string, string>> {
  const reader = await Hdf5Reader.open(bytes, 'tree');
  const out = new Map<string, string>();
  try {
    const visit = (path: string, depth: number): void => {
      const group = reader.group(path)!;
      out.set(path || '/', `G [${Object.keys(group.attrs).sort().join(',')}]`);
      if (depth > 8) return;
      for (const key of reader.keys(group)) {
        const child = path ? `${path}/${key}` : key;
        const ds = reader.dataset(child);
        if (ds) out.set(child, `D ${JSON.stringify(ds.shape)} ${ds.dtype} [${Object.keys(ds.ds.attrs).sort().join(',')}]`);
        else visit(child, depth + 1);
      }
    };
    visit('', 0);
  } finally {
    reader.close();
  }
  return out;
}

/** Every key path of a JSON value, with leaf values, minus the keys `ignore` matches. */
function flatten(value: unknown, ignore: RegExp, path = '', out = new Map<string, string>()): Map<string, string> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = `${path}/${k}`;
      if (!ignore.test(p)) flatten(v, ignore, p, out);
    }
  } else out.set(path, JSON.stringify(value));
  return out;
}

function diff(a: Map<string, string>, b: Map<string, string>): string[] {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].filter((k) => a.get(k) !== b.get(k)).map((k) => `${k}: keras ${a.get(k)} / convlab ${b.get(k)}`);
}

describe('files convlab writes have the layout of real Keras files', { skip }, () => {
  it('.keras: 45-… (Keras 3.14) read and written again by convlab', async () => {
    const original = new Uint8Array(readFileSync(join(MODELS, '45-ShreyanshGupta28-mnist_classification_app-model.keras')));
    const model = await loadLayersModel(io.fromKerasBytes(original));
    const ours = unzipSync(await io.toKerasBytes(model, 'keras'));
    const theirs = unzipSync(original);
    assert.deepEqual(Object.keys(ours), Object.keys(theirs));
    assert.deepEqual(Object.keys(JSON.parse(new TextDecoder().decode(ours['metadata.json']))), Object.keys(JSON.parse(new TextDecoder().decode(theirs['metadata.json']))));
    // Same groups, datasets, shapes, dtypes and attribute names in model.weights.h5.
    assert.deepEqual([...(await h5Tree(ours['model.weights.h5']))], [...(await h5Tree(theirs['model.weights.h5']))]);
    // Same config, but for Keras-internal ids, Keras 3.14's new quantization_config and the
    // activity_regularizer convlab's Dense keeps (docs/keras.md).
    const ignore = /shared_object_id|quantization_config|activity_regularizer|\/date_saved/;
    const config = (files: Record<string, Uint8Array>) => flatten(JSON.parse(new TextDecoder().decode(files['config.json'])), ignore);
    assert.deepEqual(diff(config(theirs), config(ours)), []);
  });

  it('.h5: 12-… (tf.keras 2.4) read and written again by convlab', async () => {
    const original = new Uint8Array(readFileSync(join(MODELS, '12-Muhtashim009-Fashion_mnist_cnn-fashion_mnist_model.h5')));
    const model = await loadLayersModel(io.fromKerasBytes(original));
    const ours = await io.toKerasBytes(model, 'h5');
    const a = await h5Tree(original);
    const b = await h5Tree(ours);
    // Every group, dataset and attribute, the optimizer's slots ('Adam/conv2d/kernel/m:0') included.
    assert.deepEqual(diff(a, b), []);
    const attrs = async (bytes: Uint8Array) => {
      const r = await Hdf5Reader.open(bytes, 'attrs');
      try {
        const root = r.group('')!;
        return { model: JSON.parse(r.attr(root, 'model_config') as string), training: JSON.parse(r.attr(root, 'training_config') as string), layers: r.attr(r.group('model_weights')!, 'layer_names'), optimizer: r.attr(r.group('optimizer_weights')!, 'weight_names') };
      } finally {
        r.close();
      }
    };
    const x = await attrs(original);
    const y = await attrs(ours);
    assert.deepEqual(Array.from(y.layers as string[]), Array.from(x.layers as string[]));
    assert.deepEqual(Array.from(y.optimizer as string[]), Array.from(x.optimizer as string[]));
    // Conv2D's groups (tf.keras >= 2.3 only) is left out so that older Keras 2 can read the file.
    assert.deepEqual(diff(flatten(x.model, /\/groups$/), flatten(y.model, /\/groups$/)), []);
    assert.deepEqual(diff(flatten(x.training.optimizer_config, /\/decay$/), flatten(y.training.optimizer_config, /\/decay$/)), []);
    assert.equal(y.training.loss, x.training.loss);
  });
});
