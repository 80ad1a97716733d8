import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { layers, loadLayersModel, sequential, setFloatX, setSeed, tensor, zoo } from '../../src/index.js';
import { loadWeights, saveWeights } from '../../src/io/index.js';
import { fashionMnistSample, randomInput } from './helpers/data.js';
import { perturbWeights, predictData, testModels } from './helpers/models.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-io-'));
after(() => rmSync(root, { recursive: true, force: true }));

function bitsEqual(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

describe('TF.js Layers format: convlab → file → convlab', () => {
  const { x } = fashionMnistSample(16);
  for (const [name, build] of Object.entries(testModels)) {
    it(`${name}: bit-identical weights and predictions`, async () => {
      setSeed(11);
      const model = build();
      perturbWeights(model);
      const dir = join(root, `rt-${name}`);
      await model.save(`file://${dir}`);
      assert.ok(existsSync(join(dir, 'model.json')) && existsSync(join(dir, 'weights.bin')));
      const loaded = await loadLayersModel(dir);
      assert.equal(loaded.layers.length, model.layers.length);
      assert.deepEqual(loaded.layers.map((l) => l.name), model.layers.map((l) => l.name));
      assert.deepEqual(loaded.getConfig(), model.getConfig());
      const wa = model.getWeights();
      const wb = loaded.getWeights();
      assert.equal(wb.length, wa.length);
      wa.forEach((w, i) => assert.ok(bitsEqual(w.data, wb[i].data), `weight ${model.weights[i].name} differs`));
      assert.ok(bitsEqual(predictData(model, x), predictData(loaded, x)), 'predictions differ');
    });
  }

  // The lab's 800x600x3 convolution examples take ~9 s per prediction with the reference
  // kernels; for them identical weights and configuration are checked, which fixes the outputs.
  const slowToPredict = new Set(['lab-conv', 'lab-conv-pool']);
  for (const name of zoo.names) {
    it(`zoo '${name}': bit-identical weights${slowToPredict.has(name) ? '' : ' and predictions'}`, async () => {
      setSeed(13);
      const model = zoo.create(name);
      const dir = join(root, `zoo-${name}`);
      await model.save(dir);
      const loaded = await loadLayersModel(dir);
      assert.deepEqual(loaded.getConfig(), model.getConfig());
      const wa = model.getWeights();
      const wb = loaded.getWeights();
      wa.forEach((w, i) => assert.ok(bitsEqual(w.data, wb[i].data), `weight ${model.weights[i].name} differs`));
      if (!slowToPredict.has(name)) {
        const input = randomInput([2, ...(model.inputShape.slice(1) as number[])], 3, 0, 1);
        assert.ok(bitsEqual(predictData(model, input), predictData(loaded, input)), 'predictions differ');
      }
    });
  }

  it('writes the files TF.js writes: snake_case topology, layers-model format, trainable weights first', async () => {
    setSeed(3);
    const model = testModels['bn-dropout']();
    const dir = join(root, 'layout');
    const result = await model.save(dir);
    assert.ok(result.modelArtifactsInfo.weightDataBytes! > 0);
    const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.equal(json.modelTopology.class_name, 'Sequential');
    const conv = json.modelTopology.config.layers[1];
    assert.equal(conv.class_name, 'Conv2D');
    assert.deepEqual(conv.config.kernel_size, [3, 5]);
    assert.equal(conv.config.data_format, 'channels_last');
    assert.equal(conv.config.kernel_initializer.class_name, 'HeNormal');
    assert.deepEqual(json.modelTopology.config.layers[0].config.batch_input_shape, [null, 28, 28, 1]);
    const names: string[] = json.weightsManifest[0].weights.map((w: { name: string }) => w.name);
    const firstMoving = names.findIndex((n) => n.includes('moving_'));
    assert.ok(firstMoving > 0 && names.slice(firstMoving).every((n) => n.includes('moving_')), `order: ${names.join(', ')}`);
    assert.deepEqual(json.weightsManifest[0].paths, ['weights.bin']);
    const bytes = readFileSync(join(dir, 'weights.bin')).byteLength;
    assert.equal(bytes, model.countParams() * 4);
  });

  it('float64 models keep every bit', async () => {
    setFloatX('float64');
    try {
      setSeed(5);
      const model = testModels['lenet5-classic']('float64');
      perturbWeights(model);
      const dir = join(root, 'f64');
      await model.save(dir);
      const loaded = await loadLayersModel(`file://${dir}/model.json`);
      assert.equal(loaded.weights[0].value.dtype, 'float64');
      const { x } = fashionMnistSample(4);
      const x64 = tensor(Float64Array.from(x.data), x.shape);
      assert.ok(bitsEqual(predictData(model, x64), predictData(loaded, x64)));
    } finally {
      setFloatX('float32');
    }
  });

  it('augmentation layers (RandomFlip, RandomTranslation, RandomErasing) keep their options and seeds', async () => {
    const model = sequential({ layers: [
      layers.randomFlip({ inputShape: [28, 28, 1], mode: 'horizontal_and_vertical', seed: 3 }),
      layers.randomTranslation({ heightFactor: 0.1, widthFactor: 0.2, fillMode: 'constant' }),
      layers.randomErasing({ factor: 0.5, scale: [0.05, 0.2], valueRange: [0, 1], seed: 7 }),
      layers.randomErasing({ fillValue: 0 }),
      layers.flatten(),
      layers.dense({ units: 2 }),
    ] });
    await model.save(join(root, 'augment'));
    const loaded = await loadLayersModel(join(root, 'augment'));
    assert.deepEqual(loaded.getConfig(), model.getConfig());
  });

  it('saves a model.json named explicitly and an unbuilt model', async () => {
    const unbuilt = sequential({ layers: [layers.flatten(), layers.dense({ units: 3 })] });
    await unbuilt.save(join(root, 'named', 'mine.json'));
    const back = await loadLayersModel(join(root, 'named', 'mine.json'));
    assert.equal(back.built, false);
    assert.equal(back.layers.length, 2);
  });
});

describe('weights alone: saveWeights / loadWeights', () => {
  it('moves trained weights into another model of the same architecture', async () => {
    setSeed(1);
    const a = testModels['lab-cnn']();
    perturbWeights(a);
    await saveWeights(a, join(root, 'w-only'));
    assert.ok(existsSync(join(root, 'w-only', 'weights.json')));
    const b = sequential({ layers: a.layers.map((l) => {
      const Ctor = l.constructor as new (c: unknown) => typeof l;
      return new Ctor({ ...l.getConfig(), kernelInitializer: undefined, biasInitializer: undefined });
    }) });
    const report = await loadWeights(b, join(root, 'w-only'));
    assert.equal(report.loaded.length, a.weights.length);
    const { x } = fashionMnistSample(4);
    assert.ok(bitsEqual(predictData(a, x), predictData(b, x)));
  });

  it('transfers the matching layers between architectures with strict: false and skipMismatch', async () => {
    setSeed(2);
    const a = testModels['lab-cnn']();
    perturbWeights(a);
    const dir = join(root, 'transfer');
    await a.save(dir);
    const conv = a.layers[0];
    // Same conv layer name, a different head: the conv weights carry over, the head does not fit.
    const b = sequential({ layers: [
      layers.conv2d({ name: conv.name, filters: 5, kernelSize: 3, activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ name: a.layers[3].name, units: 32, activation: 'relu' }),
    ] });
    await assert.rejects(loadWeights(b, dir), /does not fit: shape \[980,120\] in the file, \[980,32\] in the model/);
    const report = await loadWeights(b, dir, { strict: false, skipMismatch: true });
    assert.deepEqual(report.loaded, [`${conv.name}/kernel`, `${conv.name}/bias`]);
    assert.equal(report.skipped.length, 2);
    assert.ok(report.unused.includes(`${a.layers[4].name}/kernel`));
    assert.ok(bitsEqual(b.layers[0].getWeights()[0].data, conv.getWeights()[0].data));
  });
});
