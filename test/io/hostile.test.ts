import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ModelFormatError, layers, loadLayersModel, sequential, setSeed, tensor } from '../../src/index.js';
import { artifactsToModel, loadTrainingState, saveTrainingState } from '../../src/io/index.js';

/**
 * A corpus of broken and hostile model files, generated from one valid saved model. Each must be
 * refused with a ModelFormatError whose message names the problem; none may crash the process,
 * hang, or allocate more than a few megabytes.
 */
const root = mkdtempSync(join(tmpdir(), 'convlab-hostile-'));
const good = join(root, 'good');
after(() => rmSync(root, { recursive: true, force: true }));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

before(async () => {
  setSeed(1);
  const model = sequential({ layers: [
    layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ] });
  await model.save(good);
});

let counter = 0;
/** A copy of the good model with model.json (parsed) and/or the files changed. */
function variant(change: { json?: (j: Json) => void; text?: (t: string) => string; files?: (dir: string) => void }): string {
  const dir = join(root, `case-${counter++}`);
  cpSync(good, dir, { recursive: true });
  let text = readFileSync(join(dir, 'model.json'), 'utf8');
  if (change.json) {
    const j = JSON.parse(text);
    change.json(j);
    text = JSON.stringify(j);
  }
  if (change.text) text = change.text(text);
  writeFileSync(join(dir, 'model.json'), text);
  change.files?.(dir);
  return dir;
}

async function refused(dir: string, pattern: RegExp, options?: Parameters<typeof loadLayersModel>[1]): Promise<void> {
  const before = process.memoryUsage().rss;
  const started = Date.now();
  await assert.rejects(loadLayersModel(dir, options), (e: Error) => {
    assert.ok(e instanceof ModelFormatError, `expected a ModelFormatError, got ${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
  assert.ok(Date.now() - started < 5000, 'took too long');
  assert.ok(process.memoryUsage().rss - before < 256 * 2 ** 20, 'allocated too much memory');
}

const layer = (j: Json, i: number): Json => j.modelTopology.config.layers[i];
const weights = (j: Json): Json[] => j.weightsManifest[0].weights;

describe('defensive loading: broken files', () => {
  it('loads the untouched model (the corpus starts from a valid file)', async () => {
    const model = await loadLayersModel(variant({}));
    assert.equal(model.layers.length, 4);
  });
  it('missing shard', () => refused(variant({ files: (d) => rmSync(join(d, 'weights.bin')) }), /Weight shard '.*weights\.bin' is missing; '.*model\.json' lists it in weightsManifest\[0\]/));
  it('truncated shard', () => refused(variant({ files: (d) => truncateSync(join(d, 'weights.bin'), 100) }), /Weight data is truncated: '.*weights\.bin' holds 100 bytes but the manifest .* describes 15896 bytes/));
  it('oversized shard', () => refused(variant({ files: (d) => appendFileSync(join(d, 'weights.bin'), Buffer.alloc(8)) }), /Weight data is oversized: .* holds 15904 bytes but the manifest .* describes 15896 bytes/));
  it('a weight shape that disagrees with the topology (same byte count)', () =>
    refused(variant({ json: (j) => { weights(j)[0].shape = [3, 3, 5, 1]; } }), /weight 'conv2d(_\d+)?\/kernel' has shape \[3,3,5,1\] in the weights manifest but the topology needs \[3,3,1,5\]/));
  it('a weight the topology needs is not in the manifest', () =>
    refused(variant({ json: (j) => { weights(j)[1].name = 'elsewhere/bias'; } }), /weight 'conv2d(_\d+)?\/bias' of the topology is missing from the weights manifest/));
  it('model.json that is not JSON, empty, or cut short', async () => {
    await refused(variant({ text: () => '' }), /is not valid JSON/);
    await refused(variant({ text: (t) => t.slice(0, t.length / 2) }), /is not valid JSON/);
    await refused(variant({ text: () => '[1, 2, 3]' }), /must hold a JSON object with modelTopology and weightsManifest, received an array/);
  });
  it('no modelTopology, an unknown model class, or a functional model without its graph', async () => {
    await refused(variant({ json: (j) => { delete j.modelTopology; } }), /has no modelTopology object/);
    await refused(variant({ json: (j) => { j.modelTopology.class_name = 'Graph'; } }), /loads Sequential and functional \('Model', 'Functional'\) models; the topology's class_name is 'Graph'/);
    await refused(variant({ json: (j) => { j.modelTopology.class_name = 'Functional'; } }), /layer 0 \('[^']+'\): inbound_nodes must hold exactly one node/);
    await refused(variant({ json: (j) => { j.format = 'graph-model'; } }), /has format the string "graph-model"; convlab reads 'layers-model'/);
  });
  it('unknown layer class, including names of Object.prototype members', async () => {
    await refused(variant({ json: (j) => { layer(j, 1).class_name = 'Conv3D'; } }), /layer 1: unknown layer class 'Conv3D'; convlab can load Conv2D, Dense/);
    await refused(variant({ json: (j) => { layer(j, 1).class_name = 'constructor'; } }), /unknown layer class 'constructor'/);
    await refused(variant({ json: (j) => { layer(j, 1).class_name = 'toString'; } }), /unknown layer class 'toString'/);
  });
  it('unsupported options and values', async () => {
    await refused(variant({ json: (j) => { layer(j, 0).config.padding = 'causal'; } }), /padding must be one of 'valid', 'same', received the string "causal"/);
    await refused(variant({ json: (j) => { layer(j, 0).config.data_format = 'channels_first'; } }), /dataFormat must be one of 'channelsLast'/);
    await refused(variant({ json: (j) => { layer(j, 3).config.kernel_regularizer = { class_name: 'L2', config: { l2: 0.01 } }; } }), /kernelRegularizer is .*, but convlab does not support kernelRegularizer; only null is accepted/);
    await refused(variant({ json: (j) => { layer(j, 3).config.activation = 'mish'; } }), /Unknown activation 'mish'/);
  });
  it('weights: bad dtype, duplicates, quantized, unused', async () => {
    await refused(variant({ json: (j) => { weights(j)[0].dtype = 'string'; } }), /has dtype the string "string"; expected one of float32, float64, int32, uint8/);
    await refused(variant({ json: (j) => { weights(j)[1].name = weights(j)[0].name; } }), /weight '.*' appears twice/);
    await refused(variant({ json: (j) => { weights(j)[0].quantization = { dtype: 'uint8', scale: 1, min: 0 }; } }), /is quantized .*; convlab reads only unquantized weights/);
    await refused(variant({ json: (j) => { j.weightsManifest.push({ paths: ['extra.bin'], weights: [{ name: 'extra/w', shape: [2], dtype: 'float32' }] }); }, files: (d) => writeFileSync(join(d, 'extra.bin'), Buffer.alloc(8)) }), /1 weight\(s\) that no layer uses: extra\/w/);
  });
  it('two layers with the same name', () =>
    refused(variant({ json: (j) => { layer(j, 1).config.name = layer(j, 0).config.name; } }), /two layers are named/));
  it('a missing model directory, or model.json missing in it', async () => {
    await refused(join(root, 'no-such-dir'), /No saved model at '.*no-such-dir': the path does not exist/);
    mkdirSync(join(root, 'empty'));
    await refused(join(root, 'empty'), /No saved model in directory '.*empty': it has no model\.json/);
  });
});

describe('defensive loading: hostile files', () => {
  it('non-numeric values where numbers belong', async () => {
    await refused(variant({ json: (j) => { layer(j, 0).config.filters = '5'; } }), /layer '.*' \(Conv2D\): filters must be a positive integer, received the string "5"/);
    await refused(variant({ json: (j) => { layer(j, 0).config.kernel_size = [3, 'x']; } }), /kernelSize\[1\] must be a positive integer, received the string "x"/);
    await refused(variant({ json: (j) => { layer(j, 3).config.units = null; } }), /units must be a positive integer, received null/);
    await refused(variant({ json: (j) => { layer(j, 3).config.units = 2.5; } }), /units must be a positive integer, received number 2.5/);
    await refused(variant({ json: (j) => { layer(j, 1).config.strides = { a: 1 }; } }), /strides must be a positive integer or a pair of them, received an object/);
    await refused(variant({ json: (j) => { weights(j)[0].shape = [3, 3, '1', 5]; } }), /shape of weight '.*'\[2\] must be a non-negative integer, received the string "1"/);
    await refused(variant({ json: (j) => { layer(j, 0).config.batch_input_shape = [null, 28, -28, 1]; } }), /batchInputShape\[2\] must be a positive integer, received number -28/);
  });
  it('huge dimensions are refused before anything is allocated', async () => {
    await refused(variant({ json: (j) => { layer(j, 3).config.units = 1e12; } }), /units is 1000000000000, above the limit of 16777216/);
    // Within the per-dimension limit but 16 million x 980 weights: the topology may not ask for
    // more values than the (small) weight files hold, so the kernel is never allocated.
    await refused(variant({ json: (j) => { layer(j, 3).config.units = 2 ** 24; } }), /the topology needs more weight values than the weight files hold \(3974 values in the manifest; layer weight '.*\/kernelInitializer' has shape \[980,16777216\]\)/);
    await refused(variant({ json: (j) => { layer(j, 0).config.batch_input_shape = [null, 100000, 100000, 1]; } }), /needs more weight values than the weight files hold/);
    await refused(variant({ json: (j) => { weights(j)[0].shape = [65536, 65536, 4]; } }), /the weights need more than 1073741824 bytes \(limits.maxWeightBytes\)|holds 17179869184 values, more than/);
    await refused(variant({ json: (j) => { layer(j, 0).config.batch_input_shape = [null, 28, 28, 1, 1, 1, 1, 1]; } }), /must be an array such as \[null, 28, 28, 1\] \(rank 2 to 6\)/);
  });
  it('prototype-polluting keys (__proto__, constructor, prototype)', async () => {
    await refused(variant({ text: (t) => t.replace('"filters":5', '"__proto__":{"polluted":true},"filters":5') }), /contains the key '__proto__', which is not allowed/);
    await refused(variant({ text: (t) => t.replace('"format":', '"constructor":{"prototype":{"x":1}},"format":') }), /contains the key '(constructor|prototype)'/);
    assert.equal(({} as Json).polluted, undefined);
  });
  it('deep nesting does not overflow the stack or hang', async () => {
    const deep = '['.repeat(200000) + ']'.repeat(200000);
    await refused(variant({ text: (t) => t.replace('"convertedBy":null', `"convertedBy":${deep}`) }), /nests arrays\/objects more than 64 levels deep/);
  });
  it('shard paths that leave the model directory or name a URL', async () => {
    for (const bad of ['../../etc/passwd', '/etc/passwd', 'http://example.com/w.bin', 'a/../../b.bin', 'C:\\w.bin']) {
      await refused(variant({ json: (j) => { j.weightsManifest[0].paths = [bad]; } }), /is not a plain relative file name/);
    }
  });
  it('a model.json larger than the limit is refused before parsing', () =>
    refused(variant({}), /is \d+ bytes, more than the limit of 1000 bytes/, { limits: { maxJsonBytes: 1000 } }));
  it('a too-long layer list', () =>
    refused(variant({}), /the model has 4 layers, more than the limit of 3/, { limits: { maxLayers: 3 } }));
  it('an IO handler that returns garbage', async () => {
    await assert.rejects(loadLayersModel({ load: async () => null as never }), /returned null instead of model artifacts/);
    assert.throws(() => artifactsToModel({ modelTopology: { class_name: 'Sequential', config: { layers: 'x' } } }), /modelTopology.config must be \{name, layers: \[\.\.\.\]\}/);
    assert.throws(() => artifactsToModel({ modelTopology: JSON.parse('{"__proto__": {"a": 1}}') }), /contains the key '__proto__'/);
  });
});

describe('defensive loading: training-state files', () => {
  let dir = '';
  before(async () => {
    setSeed(2);
    const model = sequential({ layers: [layers.dense({ units: 2, inputShape: [3] })] });
    model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
    await model.fit(tensor([[1, 2, 3]]), tensor([[1, 0]]), { epochs: 1, verbose: 0 });
    dir = join(root, 'state');
    await saveTrainingState(dir, model, { epoch: 1 });
  });
  function edit(change: (j: Json) => void): void {
    const file = join(dir, 'training_state.json');
    const j = JSON.parse(readFileSync(file, 'utf8'));
    change(j);
    writeFileSync(file, JSON.stringify(j));
  }
  it('refuses a wrong version, bad random state, unknown optimizer and slots that point nowhere', async () => {
    const original = readFileSync(join(dir, 'training_state.json'), 'utf8');
    const cases: [(j: Json) => void, RegExp][] = [
      [(j) => { j.version = 2; }, /has version number 2; this convlab reads version 1/],
      [(j) => { j.random.global = [1, 2, 'x', 4, null]; }, /random.global must be 5 numbers/],
      [(j) => { j.optimizer.className = 'Adagrad'; }, /unknown optimizer 'Adagrad'; expected one of SGD, Adam, AdamW, RMSprop/],
      [(j) => { j.optimizer.slots[0].weight = 999; }, /optimizer slot 'm' refers to weight number 999, but the model has 2 weights/],
      [(j) => { j.epoch = -1; }, /epoch must be a non-negative integer/],
      [(j) => { j.optimizerManifest.paths = ['../x.bin']; }, /is not a plain relative file name/],
    ];
    for (const [change, pattern] of cases) {
      writeFileSync(join(dir, 'training_state.json'), original);
      edit(change);
      await assert.rejects(loadTrainingState(dir, null, { restoreRandom: false }), pattern);
    }
    writeFileSync(join(dir, 'training_state.json'), original);
    await loadTrainingState(dir, null, { restoreRandom: false });
  });
});
