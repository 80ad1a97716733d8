/**
 * 'hard_sigmoid' names two functions: Keras 3's relu6(x + 3) / 6 and tf.keras 2's / Keras <= 2's
 * clip(0.2x + 0.5, 0, 1). convlab reads the name by the version of Keras that wrote the file and
 * writes it only where the target format means the same function.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import h5wasm from 'h5wasm';
import { layers, loadLayersModel, modelFromJSON, ops, sequential, setSeed } from '../../src/index.js';
import type { LayersModel } from '../../src/models/layers_model.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { checkGradients } from '../helpers/gradcheck.js';

const root = mkdtempSync(join(tmpdir(), 'convlab-hardsigmoid-'));
after(() => rmSync(root, { recursive: true, force: true }));

const keras3 = (v: number): number => Math.min(Math.max(v + 3, 0), 6) / 6;
const keras2 = (v: number): number => Math.min(Math.max(0.2 * v + 0.5, 0), 1);
const X = new Tensor(Float32Array.from([-4, -3, -2.5, -1, 0, 0.7, 2.5, 3, 5]), [1, 9]);

/** Dense(9 -> 9) with identity weights, so the output is the activation of the input. */
function identityDense(activation: string): LayersModel {
  setSeed(1);
  const m = sequential({ layers: [layers.dense({ units: 9, activation, inputShape: [9], name: 'dense' })] });
  const kernel = m.layers[0].weights[0].value.data as Float32Array;
  kernel.fill(0);
  for (let i = 0; i < 9; i++) kernel[i * 9 + i] = 1;
  (m.layers[0].weights[1].value.data as Float32Array).fill(0);
  return m;
}

function outputs(m: LayersModel): number[] {
  return Array.from((m.predict(X) as Tensor).data);
}

function expectFunction(m: LayersModel, f: (v: number) => number, what: string): void {
  const got = outputs(m);
  Array.from(X.data).forEach((v, i) => assert.ok(Math.abs(got[i] - f(v)) < 1e-6, `${what}: f(${v}) = ${got[i]}, expected ${f(v)}`));
}

/** Rewrites an .h5 file's keras_version attribute, as another Keras would have written it. */
async function withKerasVersion(src: string, version: string, dst: string): Promise<string> {
  const m = (await h5wasm.ready) as unknown as { FS?: never };
  const fs = ((h5wasm as unknown as { FS?: never }).FS ?? m.FS) as unknown as { writeFile(p: string, d: Uint8Array): void; readFile(p: string): Uint8Array; unlink(p: string): void };
  fs.writeFile('/version.h5', new Uint8Array(readFileSync(src)));
  const file = new h5wasm.File('/version.h5', 'a');
  file.delete_attribute('keras_version');
  file.create_attribute('keras_version', version);
  file.close();
  writeFileSync(dst, fs.readFile('/version.h5'));
  fs.unlink('/version.h5');
  return dst;
}

describe("hard_sigmoid by the file's Keras version", () => {
  it("convlab has both: 'hardSigmoid' = clip(0.2x + 0.5, 0, 1), 'hardSigmoidKeras3' = relu6(x + 3) / 6, gradient-checked in float64", () => {
    expectFunction(identityDense('hardSigmoid'), keras2, 'hardSigmoid');
    expectFunction(identityDense('hard_sigmoid'), keras2, 'hard_sigmoid');
    expectFunction(identityDense('hardSigmoidKeras3'), keras3, 'hardSigmoidKeras3');
    // Away from the kinks at ±3 (finite differences straddle them).
    const x = new Tensor(Float64Array.from([-5, -2.9, -1.2, 0.3, 2.2, 2.9, 4]), [7]);
    const w = new Tensor(Float64Array.from([0.3, -1.1, 0.8, 1.7, -0.4, 0.9, 1.2]), [7]);
    checkGradients('hardSigmoidKeras3', () => ops.sum(ops.mul(ops.hardSigmoidKeras3(x), w)), [x]);
  });

  it('.h5: keras_version 3.x reads hard_sigmoid as relu6(x + 3) / 6; 2.x (and convlab, which writes Keras 2 files) as clip(0.2x + 0.5)', async () => {
    const file = join(root, 'hs.h5');
    await identityDense('hardSigmoid').save(file);
    const config = JSON.parse(String((await readAttr(file, 'model_config')))) as { config: { layers: { config: { activation?: string } }[] } };
    assert.equal(config.config.layers.at(-1)!.config.activation, 'hard_sigmoid');
    expectFunction(await loadLayersModel(file), keras2, 'convlab .h5');
    expectFunction(await loadLayersModel(await withKerasVersion(file, '2.4.0', join(root, 'hs-2.4.h5'))), keras2, 'keras_version 2.4.0');
    expectFunction(await loadLayersModel(await withKerasVersion(file, '2.2.4-tf', join(root, 'hs-2.2.h5'))), keras2, 'keras_version 2.2.4-tf');
    const k3 = await loadLayersModel(await withKerasVersion(file, '3.5.0', join(root, 'hs-3.5.h5')));
    assert.equal((k3.layers[0].getConfig() as { activation: string }).activation, 'hardSigmoidKeras3');
    expectFunction(k3, keras3, 'keras_version 3.5.0');
  });

  it('.keras: hard_sigmoid is Keras 3\'s; hardSigmoidKeras3 is written as hard_sigmoid and comes back; clip(0.2x + 0.5) is refused naming the layer', async () => {
    const file = join(root, 'hs.keras');
    await identityDense('hardSigmoidKeras3').save(file);
    const back = await loadLayersModel(file);
    assert.equal((back.layers[0].getConfig() as { activation: string }).activation, 'hardSigmoidKeras3');
    expectFunction(back, keras3, '.keras');
    await assert.rejects(identityDense('hardSigmoid').save(join(root, 'refused.keras')), /'dense' uses 'hardSigmoid', clip\(0\.2x \+ 0\.5, 0, 1\).*which Keras 3 does not have/);
    await assert.rejects(identityDense('hardSigmoidKeras3').save(join(root, 'refused.h5')), /'dense' uses 'hardSigmoidKeras3', relu6\(x \+ 3\) \/ 6.*which Keras 2 does not have/);
  });

  it('model.to_json(): keras_version 2.x means clip(0.2x + 0.5); a Keras 3 config (module/registered_name wrappers, no version) means relu6(x + 3) / 6', () => {
    const layer = { class_name: 'Dense', config: { name: 'dense', units: 9, activation: 'hard_sigmoid', use_bias: true, batch_input_shape: [null, 9] } };
    const tfKeras2 = modelFromJSON(JSON.stringify({ class_name: 'Sequential', config: { name: 's', layers: [layer] }, keras_version: '2.4.0', backend: 'tensorflow' }));
    assert.equal((tfKeras2.layers[0].getConfig() as { activation: string }).activation, 'hardSigmoid');
    const k3 = modelFromJSON(JSON.stringify({
      module: 'keras', class_name: 'Sequential', registered_name: null,
      config: { name: 's', layers: [
        { module: 'keras.layers', class_name: 'InputLayer', registered_name: null, config: { batch_shape: [null, 9], name: 'input_layer' } },
        { module: 'keras.layers', class_name: 'Dense', registered_name: null, config: { name: 'dense', units: 9, activation: 'hard_sigmoid', use_bias: true } },
      ] },
    }));
    assert.equal((k3.layers[0].getConfig() as { activation: string }).activation, 'hardSigmoidKeras3');
  });
});

async function readAttr(path: string, name: string): Promise<unknown> {
  const m = (await h5wasm.ready) as unknown as { FS?: never };
  const fs = ((h5wasm as unknown as { FS?: never }).FS ?? m.FS) as unknown as { writeFile(p: string, d: Uint8Array): void; unlink(p: string): void };
  fs.writeFile('/attr.h5', new Uint8Array(readFileSync(path)));
  const file = new h5wasm.File('/attr.h5', 'r');
  const value = file.attrs[name]?.value;
  file.close();
  fs.unlink('/attr.h5');
  return value;
}
