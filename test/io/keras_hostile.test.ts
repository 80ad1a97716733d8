/**
 * A corpus of broken and hostile Keras files, generated here from one valid model (with fflate
 * and h5wasm, so the corpus needs no binary fixtures). Each is refused fast with a
 * ModelFormatError naming the file's problem; none crashes, hangs or inflates a bomb.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { ModelFormatError, io, layers, loadLayersModel, sequential, setSeed } from '../../src/index.js';
import { writeHdf5 } from '../../src/io/keras/hdf5.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-keras-hostile-'));
after(() => rmSync(root, { recursive: true, force: true }));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let goodKeras: Record<string, Uint8Array>;
let goodConfig: Json;
let goodH5Config: string;

before(async () => {
  setSeed(1);
  const model = sequential({ layers: [
    layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ] });
  goodKeras = unzipSync(await io.toKerasBytes(model, 'keras'));
  goodConfig = JSON.parse(new TextDecoder().decode(goodKeras['config.json']));
  const h5 = join(root, 'good.h5');
  await model.save(h5);
  goodH5Config = JSON.stringify((await import('../../src/io/topology.js')).modelToTopology(model));
});

/** A .keras zip from the good one with entries replaced, added or removed (undefined). */
function kerasZip(change: Record<string, Uint8Array | undefined>, level = 0): Uint8Array {
  const files: Zippable = {};
  for (const [name, data] of Object.entries({ ...goodKeras, ...change })) if (data) files[name] = [data, { level: level as 0 }];
  return zipSync(files);
}

function withConfig(edit: (c: Json) => void): Uint8Array {
  const c = structuredClone(goodConfig);
  edit(c);
  return kerasZip({ 'config.json': strToU8(JSON.stringify(c)) });
}

/** An .h5 full model: model_config as given and a model_weights group built by `fill`. */
async function kerasH5(modelConfig: string, fill: (weights: any) => void): Promise<Uint8Array> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return writeHdf5((file) => {
    file.create_attribute('keras_version', '2.15.0');
    file.create_attribute('model_config', modelConfig);
    const w = file.create_group('model_weights');
    fill(w);
  });
}

async function refuse(bytes: Uint8Array, pattern: RegExp, name: string, asPath = true): Promise<void> {
  const started = Date.now();
  // Both ways in: bytes (browsers) and a file path (Node, recognised by content).
  await assert.rejects(loadLayersModel(io.fromKerasBytes(bytes, { name })), (e: Error) => {
    assert.ok(e instanceof ModelFormatError, `${name}: expected a ModelFormatError, got ${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.match(e.message, new RegExp(name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the message names the file');
    return true;
  });
  const file = join(root, name);
  writeFileSync(file, bytes);
  if (asPath) await assert.rejects(loadLayersModel(file), (e: Error) => e instanceof ModelFormatError && pattern.test(e.message) && e.message.includes(file));
  assert.ok(Date.now() - started < 5000, `${name} took ${Date.now() - started} ms`);
}

describe('hostile and broken Keras files are refused, naming the file and the problem', () => {
  it('the good files load (the corpus starts from a valid model)', async () => {
    const m = await loadLayersModel(io.fromKerasBytes(kerasZip({})));
    assert.equal(m.countParams(), 2 * 9 + 2 + 72 * 3 + 3);
  });

  it('bytes that are neither zip nor HDF5', () => refuse(strToU8('{"modelTopology": 1}'), /neither a zip \(\.keras\) nor an HDF5/, 'not-keras.keras', false));

  it('a truncated .keras', () => {
    const bytes = kerasZip({});
    return refuse(bytes.subarray(0, Math.floor(bytes.length / 2)), /model\.weights\.h5|corrupt|config\.json/, 'truncated.keras');
  });

  it('a zip bomb: 16 MiB of zeros deflated to a few KiB', () => refuse(kerasZip({ 'model.weights.h5': new Uint8Array(16 << 20) }, 9), /zip bomb/, 'bomb.keras'));

  it('a zip entry whose path climbs out of the directory', () => refuse(kerasZip({ '../../etc/cron.d/evil': strToU8('x') }), /climbs out/, 'traversal.keras'));

  it('an absolute zip entry path', () => refuse(kerasZip({ '/tmp/evil': strToU8('x') }), /climbs out/, 'absolute.keras'));

  it('a zip without config.json', () => refuse(kerasZip({ 'config.json': undefined }), /without config\.json/, 'no-config.keras'));

  it('a zip without model.weights.h5', () => refuse(kerasZip({ 'model.weights.h5': undefined }), /no model\.weights\.h5/, 'no-weights.keras'));

  it('a config with a __proto__ key', () => refuse(kerasZip({ 'config.json': strToU8(JSON.stringify(goodConfig).replace('"config":', '"__proto__": {"polluted": true}, "config":')) }), /__proto__/, 'proto.keras'));

  it('a config nested 10,000 levels deep', () => refuse(kerasZip({ 'config.json': strToU8(`${'['.repeat(10_000)}${']'.repeat(10_000)}`) }), /levels deep/, 'deep.keras'));

  it('a Lambda layer (Python code)', () => refuse(withConfig((c) => {
    c.config.layers[2] = { module: 'keras.layers', class_name: 'Lambda', config: { name: 'lambda', function: { class_name: '__lambda__', config: { code: 'ZGVmIGY=' } } }, registered_name: null };
  }), /layer 'lambda' is a Lambda layer \(class 'Lambda'\), which holds Python code.*convlab loads models built from these Keras layers: InputLayer, Conv2D/, 'lambda.keras'));

  it('a custom layer class', () => refuse(withConfig((c) => {
    c.config.layers[2] = { module: 'my_project.layers', class_name: 'Attention', config: { name: 'attn' }, registered_name: 'MyProject>Attention' };
  }), /layer 'attn' is a custom layer from the Python module 'my_project\.layers' \(class 'Attention'\), which holds Python code/, 'custom.keras'));

  it('a subclassed model', () => refuse(withConfig((c) => {
    c.class_name = 'MyModel';
    c.module = 'train';
  }), /subclassed Keras model \(class 'MyModel' from the Python module 'train'\)/, 'subclassed.keras'));

  it('a layer class convlab does not have, naming what it supports', () => refuse(withConfig((c) => {
    c.config.layers[2].class_name = 'GRU';
  }), /layer 'flatten.*' is a Keras GRU layer, which convlab does not support yet\. convlab loads: InputLayer/, 'gru.keras'));

  it('weights whose shapes disagree with the config', () => refuse(withConfig((c) => {
    c.config.layers[3].config.units = 4;
  }), /has shape \[.*\] in the file but the model needs \[.*4\]/, 'shapes.keras'));

  it('an .h5 whose model_config is not JSON', async () => refuse(await kerasH5('{"class_name": "Sequential", ', () => {}), /model_config.*not valid JSON/, 'badjson.h5'));

  it('an .h5 without layer_names', async () => refuse(await kerasH5(goodH5Config, () => {}), /no model_weights group with layer_names/, 'nolayers.h5'));

  it('an .h5 whose weight group links back to its parent (a cycle)', async () => refuse(await kerasH5(goodH5Config, (w) => {
    const names = JSON.parse(goodH5Config).config.layers.map((l: Json) => l.config.name);
    w.create_attribute('layer_names', names);
    for (const name of names) {
      const g = w.create_group(name);
      if (name.startsWith('flatten')) {
        g.create_attribute('weight_names', new Float64Array(0), [0], '<d');
        continue;
      }
      g.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
      g.create_hard_link(`/model_weights/${name}`, name);
    }
  }), /weight dataset '.*kernel:0' is missing/, 'cycle.h5'));

  it('an .h5 dataset with absurd dimensions (2^30 x 2^30, stored in one chunk)', async () => refuse(await kerasH5(goodH5Config, (w) => {
    const names: string[] = JSON.parse(goodH5Config).config.layers.map((l: Json) => l.config.name);
    w.create_attribute('layer_names', names);
    for (const name of names) {
      const g = w.create_group(name);
      if (name.startsWith('flatten')) {
        g.create_attribute('weight_names', new Float64Array(0), [0], '<d');
        continue;
      }
      g.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
      const sub = g.create_group(name);
      const huge = sub.create_dataset({ name: 'kernel:0', data: new Float32Array(1), shape: [1, 1], maxshape: [null, null], chunks: [1, 1] });
      huge.resize([2 ** 30, 2 ** 30]);
      sub.create_dataset({ name: 'bias:0', data: new Float32Array(3), shape: [3] });
    }
  }), /has shape \[1073741824,1073741824\] in the file but the model needs/, 'absurd.h5'));

  it('an .h5 with integer weights', async () => refuse(await kerasH5(goodH5Config, (w) => {
    const names: string[] = JSON.parse(goodH5Config).config.layers.map((l: Json) => l.config.name);
    w.create_attribute('layer_names', names);
    for (const name of names) {
      const g = w.create_group(name);
      if (name.startsWith('flatten')) {
        g.create_attribute('weight_names', new Float64Array(0), [0], '<d');
        continue;
      }
      const shapes = name.startsWith('conv') ? [[3, 3, 1, 2], [2]] : [[72, 3], [3]];
      g.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
      const sub = g.create_group(name);
      sub.create_dataset({ name: 'kernel:0', data: new Int32Array(shapes[0].reduce((a, b) => a * b, 1)), shape: shapes[0] });
      sub.create_dataset({ name: 'bias:0', data: new Int32Array(shapes[1][0]), shape: shapes[1] });
    }
  }), /is stored as .*convlab reads float32 and float64 weights/, 'ints.h5'));

  it('a weights-only file given to loadLayersModel, pointing to loadWeights', async () => {
    const bytes = await writeHdf5((file) => {
      file.create_group('layers').create_group('dense').create_group('vars');
    });
    await refuse(bytes, /holds weights only.*model\.loadWeights/, 'only.weights.h5');
  });

  it('random byte flips (fixed seed) either load or are refused with a ModelFormatError, and good files load after', async () => {
    const model = await loadLayersModel(io.fromKerasBytes(kerasZip({})));
    for (const format of ['keras', 'h5'] as const) {
      const good = await io.toKerasBytes(model, format);
      let seed = 12345;
      for (let t = 0; t < 80; t++) {
        const bytes = good.slice();
        for (let k = 0; k < 4; k++) {
          seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
          bytes[seed % bytes.length] = seed >>> 24;
        }
        try {
          await loadLayersModel(io.fromKerasBytes(bytes, { name: `flip-${t}.${format}` }));
        } catch (e) {
          assert.ok(e instanceof ModelFormatError, `flip ${t} (.${format}): ${(e as Error).name}: ${(e as Error).message}`);
          assert.match((e as Error).message, new RegExp(`flip-${t}\\.${format}`));
        }
      }
      await loadLayersModel(io.fromKerasBytes(good));
    }
  });

  it('a Keras to_json() file given to loadLayersModel points to modelFromJSON', async () => {
    const file = join(root, 'arch.json');
    writeFileSync(file, JSON.stringify({ class_name: 'Sequential', config: { name: 'x', layers: [] }, keras_version: '2.2.4' }));
    await assert.rejects(loadLayersModel(file), /is a Keras model\.to_json\(\) file .*modelFromJSON\(text\)/);
  });
});
