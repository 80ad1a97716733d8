/**
 * `convlab explain` on saved models (Sequential and functional, loaded from their files), and
 * the explain API on loaded models: the same maps as for the models they were saved from.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCanvas } from '@napi-rs/canvas';
import { explain, input, layers, loadLayersModel, model as functionalModel, sequential, setSeed, Tensor, type LayersModel } from '../../src/index.js';
import { saveModel, writeMetadata } from '../../cli/model_store.js';
import { classNamesOf } from '../../cli/data.js';
import { pngSize, rmrf, run, tempDir } from './helpers.js';

/** A 28x28 grey PNG: a bright bar on black, as Fashion-MNIST images look. */
function writeImage(file: string): void {
  const canvas = createCanvas(28, 28);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#000000';
  ctx.fillRect(0, 0, 28, 28);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(8, 4, 6, 20);
  writeFileSync(file, canvas.toBuffer('image/png'));
}

function sequentialModel(): LayersModel {
  return sequential({
    layers: [
      layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 6, kernelSize: 3, activation: 'relu', name: 'top_conv' }),
      layers.flatten(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ],
  });
}

function functional(): LayersModel {
  const x = input({ shape: [28, 28, 1] });
  const a = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'branch_a' }).apply(x);
  const b = layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'branch_b' }).apply(a);
  const sum = layers.add().apply([a, b]);
  const pooled = layers.globalAveragePooling2d().apply(sum);
  return functionalModel({ inputs: x, outputs: layers.dense({ units: 10, activation: 'softmax' }).apply(pooled) });
}

describe('convlab explain', () => {
  let dir: string;
  let image: string;
  const saved: Record<string, LayersModel> = {};

  before(async () => {
    dir = tempDir();
    image = path.join(dir, 'bar.png');
    writeImage(image);
    setSeed(5);
    for (const [name, m] of [['seq', sequentialModel()], ['fn', functional()]] as const) {
      await saveModel(m as never, path.join(dir, name));
      await writeMetadata(path.join(dir, name), { model: name, dataset: 'fashion-mnist', classNames: classNamesOf('fashion-mnist'), inputShape: [28, 28, 1] });
      saved[name] = m;
    }
  });
  after(() => rmrf(dir));

  it('writes the picture: image, overlay and top-3, for the predicted class by default', async () => {
    const out = path.join(dir, 'seq-explain.png');
    const r = await run('explain', path.join(dir, 'seq'), image, '--out', out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /bar\.png: explained ".+" \(class \d\) with Grad-CAM, layer top_conv; top-3: /);
    assert.match(r.stdout, /wrote .*seq-explain\.png/);
    const size = await pngSize(out);
    assert.ok(size.width >= 800 && size.height >= 300, `picture size ${size.width}x${size.height}`);
  });

  it('--layer, --class and the saliency methods; default output beside the model', async () => {
    let r = await run('explain', path.join(dir, 'seq'), image, '--layer', 'conv2d', '--class', '3');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /explained "Dress" \(class 3\) with Grad-CAM, layer conv2d/);
    await pngSize(path.join(dir, 'seq', 'explain-bar.png'));
    r = await run('explain', path.join(dir, 'fn'), image, '--method', 'smoothgrad', '--samples', '4', '--out', path.join(dir, 'fn-sg.png'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /SmoothGrad saliency, 4 samples/);
    r = await run('explain', path.join(dir, 'fn'), image, '--out', path.join(dir, 'fn.png'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Grad-CAM, layer branch_b/, 'the default layer of a functional model is its last convolution');
  });

  it('mistakes are one clear line', async () => {
    const cases: [string[], RegExp][] = [
      [['--layer', 'nope'], /no layer 'nope'; its layers are .*top_conv \(Conv2D\)/],
      [['--layer', 'dense'], /layer 'dense' \(Dense\) outputs shape \[1,10\]; Grad-CAM needs a layer with \[h, w, channels\] output/],
      [['--class', '10'], /--class must be from 0 to 9 \(10 classes\), received 10/],
      [['--class', 'x'], /--class must be a non-negative integer, received 'x'/],
      [['--method', 'lime'], /--method must be one of gradcam, saliency, smoothgrad, received 'lime'/],
      [['--method', 'saliency', '--layer', 'top_conv'], /--layer applies to --method gradcam/],
      [['--out', path.join(dir ?? '.', 'x.jpg')], /--out must name a \.png file/],
    ];
    for (const [args, message] of cases) {
      const r = await run('explain', path.join(dir, 'seq'), image, ...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}`);
      assert.match(r.stderr, message, args.join(' '));
    }
    const r = await run('explain', path.join(dir, 'seq'), path.join(dir, 'missing.png'));
    assert.match(r.stderr, /Cannot read image '.*missing\.png': no such file/);
  });

  it('models loaded from files give the maps of the models they were saved from', async () => {
    const x = new Tensor(Float32Array.from({ length: 784 }, (_, i) => ((i * 37) % 101) / 100), [28, 28, 1]);
    for (const name of ['seq', 'fn']) {
      const loaded = await loadLayersModel<LayersModel>(path.join(dir, name, 'model.json'));
      assert.equal(loaded.className, saved[name].className);
      for (const k of [0, 7]) {
        assert.deepEqual(Array.from(explain.gradCam(loaded, x, { classIndex: k }).data), Array.from(explain.gradCam(saved[name], x, { classIndex: k }).data), `${name} Grad-CAM class ${k}`);
        assert.deepEqual(Array.from(explain.saliency(loaded, x, { classIndex: k }).data), Array.from(explain.saliency(saved[name], x, { classIndex: k }).data), `${name} saliency class ${k}`);
      }
    }
  });
});
