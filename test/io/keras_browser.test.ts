/**
 * In a real browser (Debian's Chromium, headless): a page bundled by Vite reads a .keras and an
 * .h5 file from bytes (as the lab's file picker would hand them over), with h5wasm loaded on
 * demand, and predicts what Node predicts; it also writes a .keras file that Node reads back.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { io, loadLayersModel, setSeed } from '../../src/index.js';
import { fashionMnistSample } from './helpers/data.js';
import { perturbWeights, predictData, testModels } from './helpers/models.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.CONVLAB_CHROMIUM ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `no Chromium at ${CHROMIUM}`;

const PAGE = `
import { loadLayersModel, io, tensor } from '${path.join(repoRoot, 'src/index.ts')}';
const w = window as unknown as Record<string, unknown>;
w.run = async (x: number[], shape: number[]) => {
  const out: Record<string, unknown> = {};
  for (const name of ['model.keras', 'model.h5']) {
    const bytes = new Uint8Array(await (await fetch(name)).arrayBuffer());
    const model = await loadLayersModel(io.fromKerasBytes(bytes, { name }));
    out[name] = Array.from(model.predict(tensor(Float32Array.from(x), shape)).data as Float32Array);
    if (name === 'model.keras') out.written = Array.from(await io.toKerasBytes(model, 'keras'));
  }
  return out;
};
`;

describe('Keras files in a browser', { skip }, () => {
  let root: string;
  let server: PreviewServer;
  let browser: Browser;
  const model = testModels['bn-dropout']();

  before(async () => {
    setSeed(9);
    perturbWeights(model);
    root = await mkdtemp(path.join(os.tmpdir(), 'convlab-keras-browser-'));
    await mkdir(path.join(root, 'public'));
    await writeFile(path.join(root, 'public', 'model.keras'), await io.toKerasBytes(model, 'keras'));
    await writeFile(path.join(root, 'public', 'model.h5'), await io.toKerasBytes(model, 'h5'));
    await writeFile(path.join(root, 'main.ts'), PAGE);
    await writeFile(path.join(root, 'index.html'), '<!doctype html><script type="module" src="./main.ts"></script>');
    const common = { root, configFile: false as const, logLevel: 'error' as const, server: { fs: { allow: [repoRoot, root] } } };
    await build({ ...common, build: { outDir: path.join(root, 'dist'), emptyOutDir: true, target: 'es2022' } });
    server = await preview({ ...common, build: { outDir: path.join(root, 'dist') }, preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false } });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('reads .keras and .h5 from bytes and predicts what Node predicts; what it writes, Node reads', async () => {
    const address = server.httpServer.address();
    assert.ok(address && typeof address !== 'string');
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${address.port}/`);
    await page.waitForFunction(() => typeof (window as unknown as { run?: unknown }).run === 'function');
    const { x } = fashionMnistSample(4);
    const result = await page.evaluate(([data, shape]) => (window as unknown as { run(x: number[], s: number[]): Promise<Record<string, number[]>> }).run(data, shape), [Array.from(x.data), [...x.shape]] as const);
    assert.deepEqual(errors, []);
    const expected = Array.from(predictData(model, x));
    for (const name of ['model.keras', 'model.h5']) {
      assert.equal(result[name].length, expected.length);
      result[name].forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-6, `${name}[${i}]: ${v} vs ${expected[i]}`));
    }
    const written = await loadLayersModel(io.fromKerasBytes(Uint8Array.from(result.written)));
    model.weights.forEach((w, i) => assert.deepEqual(written.weights[i].value.data, w.value.data));
    await page.close();
  });
});
