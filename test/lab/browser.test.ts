/**
 * End-to-end: the built lab in headless Chromium. Checks a clean load, the explainers' numbers
 * against values computed here from the same data file, the model summary, a short training run
 * in the worker (charts must update while it runs), and a prediction for a drawing. Screenshots
 * of every section go to lab/screenshots/ (git-ignored) or $CONVLAB_LAB_SCREENSHOTS.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { convWindow, geometry, KERNEL_PRESETS, poolWindow } from '../../lab/src/conv_math.js';
import { decodeLabDataset, imageAt, type LabDataset, type Manifest } from '../../lab/src/dataset_format.js';
import { repoRoot, startLab, type Lab } from './harness.js';

/** One epoch on 2,000 images (1,600 trained, 400 validated) of the lab's CNN reaches ~0.75. */
// Enough work that training lasts a few polls of the page even on the fast wasm backend.
const TRAIN_IMAGES = '10000';
const MIN_TEST_ACCURACY = 0.65;
const shots = process.env.CONVLAB_LAB_SCREENSHOTS ?? path.join(repoRoot, 'lab', 'screenshots');

let lab: Lab;
let page: Page;
let data: LabDataset;
const errors: string[] = [];

async function loadDataFile(outDir: string): Promise<LabDataset> {
  const manifest = JSON.parse(await readFile(path.join(outDir, 'data', 'fashion-mnist-lab.json'), 'utf8')) as Manifest;
  return decodeLabDataset(manifest, new Uint8Array(await readFile(path.join(outDir, 'data', manifest.file))));
}

async function shot(id: string): Promise<void> {
  await page.locator(`#${id}`).screenshot({ path: path.join(shots, `${id}.png`) });
}

async function number(selector: string): Promise<number> {
  return Number(await page.locator(selector).textContent());
}

describe('browser lab (Chromium)', { timeout: 150_000 }, () => {
  before(async () => {
    await mkdir(shots, { recursive: true });
    lab = await startLab();
    data = await loadDataFile(lab.outDir);
    page = lab.context.pages()[0] ?? (await lab.context.newPage());
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('worker', (w) => w.on('console', (m) => { if (m.type() === 'error') errors.push(`worker console: ${m.text()}`); }));
  });

  after(async () => {
    await lab?.close();
  });

  test('the page loads without console errors and says where the data came from', async () => {
    await page.goto(lab.url);
    await page.waitForSelector('body[data-ready="yes"]', { timeout: 30_000 });
    assert.deepEqual(errors, []);
    assert.equal(await page.locator('#load-error').isHidden(), true);
    const source = await page.locator('#data-source').textContent();
    assert.match(source ?? '', /fashion-mnist.*first 10,000 of 60,000 training images.*verified in the page/s);
    // The fastest backend: WebAssembly, threaded because the server sends COOP/COEP headers.
    assert.equal(await page.evaluate(() => crossOriginIsolated), true);
    assert.equal(await page.getAttribute('#backend-info', 'data-backend'), 'wasm', (await page.locator('#train-backend-line').textContent()) ?? '');
    assert.match((await page.locator('#backend-info').textContent()) ?? '', /WebAssembly SIMD.*on shared memory/);
  });

  test('the convolution explainer computes the output pixel of a known kernel and window', async () => {
    await page.selectOption('#conv-input', 'test:3');
    await page.selectOption('#conv-kernel', 'sobelX');
    await page.fill('#conv-row', '12');
    await page.press('#conv-row', 'Enter');
    await page.fill('#conv-col', '7');
    await page.press('#conv-col', 'Enter');
    const image = imageAt(data.test, 3, 28, 28);
    const expected = convWindow(image, geometry(28, 28, 3, 1, 'valid'), KERNEL_PRESETS.sobelX.values, 12, 7).sum;
    // An independent sum over the 3×3 window, straight from the bytes.
    let direct = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) direct += (data.test.images[3 * 784 + (12 + i) * 28 + 7 + j] / 255) * KERNEL_PRESETS.sobelX.values[i * 3 + j];
    assert.ok(Math.abs(expected - direct) < 1e-6);
    assert.ok(Math.abs(direct) > 0.05, 'the chosen window should not be blank');
    assert.ok(Math.abs((await number('#conv-sum')) - direct) < 1e-4, `page shows ${await number('#conv-sum')}, expected ${direct}`);
    assert.ok(Math.abs((await number('#conv-lib')) - direct) < 1e-4);
    assert.match((await page.locator('#conv-out-size').textContent()) ?? '', /Output 26×26/);

    // A hand-typed kernel with 'same' padding and stride 2: the window hangs over the border.
    const custom = [1, 2, 0, -1, 0.5, 0, 0, 0, 3];
    for (let i = 0; i < 9; i++) await page.fill(`#conv-k-${i}`, String(custom[i]));
    await page.selectOption('#conv-padding', 'same');
    await page.selectOption('#conv-stride', '2');
    await page.fill('#conv-row', '13');
    await page.press('#conv-row', 'Enter');
    await page.fill('#conv-col', '6');
    await page.press('#conv-col', 'Enter');
    const g = geometry(28, 28, 3, 2, 'same');
    assert.equal(g.outH, 14);
    const edge = convWindow(image, g, custom, 13, 6);
    assert.ok(edge.cells.some((c) => !c.inside), 'the last row window should include padding');
    assert.ok(Math.abs((await number('#conv-sum')) - edge.sum) < 1e-4);
    assert.ok(Math.abs((await number('#conv-lib')) - edge.sum) < 1e-4);
    assert.match((await page.locator('#conv-out-size').textContent()) ?? '', /Output 14×14/);
    assert.match((await page.locator('#conv-formula').textContent()) ?? '', /⌈28 \/ 2⌉ = 14/);
    await page.selectOption('#conv-kernel', 'sobelX');
    await page.selectOption('#conv-padding', 'valid');
    await page.selectOption('#conv-stride', '1');
    await page.fill('#conv-row', '12');
    await page.press('#conv-row', 'Enter');
    await page.fill('#conv-col', '7');
    await page.press('#conv-col', 'Enter');
    await shot('conv');
  });

  test('the pooling explainer shows the winning pixel of a max-pooling window', async () => {
    await page.selectOption('#pool-input', 'test:3');
    await page.selectOption('#pool-kind', 'max');
    await page.fill('#pool-row', '8');
    await page.press('#pool-row', 'Enter');
    await page.fill('#pool-col', '6');
    await page.press('#pool-col', 'Enter');
    const image = imageAt(data.test, 3, 28, 28);
    const win = poolWindow(image, geometry(28, 28, 2, 2, 'valid'), 'max', 8, 6);
    // The 2×2 window at rows 16-17, columns 12-13, straight from the bytes.
    const direct = Math.max(...[[16, 12], [16, 13], [17, 12], [17, 13]].map(([r, c]) => data.test.images[3 * 784 + r * 28 + c] / 255));
    assert.ok(Math.abs(win.value - direct) < 1e-6 && direct > 0.1, `window max ${direct}`);
    assert.ok(Math.abs((await number('#pool-value')) - direct) < 1e-4, `page shows ${await number('#pool-value')}, expected ${direct}`);
    assert.equal(await page.locator('#pool-window td.win').count(), 1);
    await page.selectOption('#pool-kind', 'avg');
    const mean = [[16, 12], [16, 13], [17, 12], [17, 13]].reduce((s, [r, c]) => s + data.test.images[3 * 784 + r * 28 + c] / 255, 0) / 4;
    assert.ok(Math.abs((await number('#pool-value')) - mean) < 1e-4);
    assert.equal(await page.locator('#pool-window td.win').count(), 0);
    await page.selectOption('#pool-kind', 'max');
    await shot('pool');
  });

  test('the model builder shows the Keras summary of each preset', async () => {
    await page.selectOption('#model-preset', 'mlp');
    assert.match((await page.locator('#model-summary').textContent()) ?? '', /Total params: 101,770/);
    await page.selectOption('#model-preset', 'lab');
    const summary = (await page.locator('#model-summary').textContent()) ?? '';
    assert.match(summary, /max_pooling2d \(MaxPooling2D\)\s+\(None, 14, 14, 5\)\s+0/);
    assert.match(summary, /Total params: 118,980/);
    await shot('model');
  });

  test('a one-epoch run in the worker trains the model while the charts update', async () => {
    await page.selectOption('#train-samples', TRAIN_IMAGES);
    await page.fill('#train-epochs', '1');
    await page.press('#train-epochs', 'Enter');
    // Every change of the chart's point count while training, however fast training is.
    await page.evaluate(() => {
      const counts: number[] = [];
      (window as unknown as { trainPointCounts: number[] }).trainPointCounts = counts;
      const chart = document.querySelector('#chart-loss')!;
      new MutationObserver(() => {
        if (document.body.dataset.training === 'yes') counts.push(Number(chart.getAttribute('data-train-points')));
      }).observe(chart, { attributes: true, attributeFilter: ['data-train-points'] });
    });
    await page.click('#train-start');
    await page.waitForSelector('body[data-training="yes"]');
    let responsive = 0;
    while ((await page.getAttribute('body', 'data-training')) === 'yes') {
      // The page must keep answering while the worker trains: step the explainer.
      const before = await page.inputValue('#conv-col');
      await page.click('#conv-next');
      if ((await page.inputValue('#conv-col')) !== before) responsive++;
      await page.waitForTimeout(150);
    }
    const seen = new Set(await page.evaluate(() => (window as unknown as { trainPointCounts: number[] }).trainPointCounts));
    const during = [...seen].filter((n) => n > 0);
    assert.ok(during.length >= 2, `the loss chart should gain points during training, saw counts ${[...seen].join(', ')}`);
    assert.ok(responsive >= 2, 'the page should respond while training');
    await page.waitForSelector('#test-accuracy', { timeout: 60_000 });
    const accuracy = Number(await page.getAttribute('#test-accuracy', 'data-value'));
    assert.ok(accuracy > MIN_TEST_ACCURACY, `test accuracy ${accuracy} should exceed ${MIN_TEST_ACCURACY}`);
    assert.equal(await page.getAttribute('#chart-accuracy', 'data-val-points'), '1');
    assert.equal(await page.locator('#test-grid figure').count(), 24);
    assert.ok((await page.locator('#feature-maps canvas').count()) > 5);
    const confusion = await page.locator('#confusion td').allTextContents();
    assert.equal(confusion.reduce((s, t) => s + (Number(t) || 0), 0), data.test.count);
    await shot('train');
  });

  test('the explain panel shows where the evidence lies for a clicked test image, any class, any method', async () => {
    await page.locator('#explain-panel').scrollIntoViewIfNeeded();
    const view = page.locator('#explain-view');
    assert.equal(await view.getAttribute('data-method'), 'gradcam');
    const layers = await page.locator('#explain-layer option').allTextContents();
    assert.ok(layers.length >= 1 && layers.every((t) => /\((Conv2D|MaxPooling2D|AveragePooling2D)\)$/.test(t)), `layers offered: ${layers.join(', ')}`);
    assert.equal(await view.getAttribute('data-layer'), await page.inputValue('#explain-layer'));
    assert.match((await view.getAttribute('data-peak')) ?? '', /^\d+,\d+$/);
    assert.equal(await page.locator('#explain-view canvas').count(), 2);
    await page.locator('#test-grid figure').nth(3).click();
    assert.match((await page.locator('#explain-view').textContent()) ?? '', /test image #3/);
    await page.selectOption('#explain-class', '1');
    assert.equal(await view.getAttribute('data-class-index'), '1');
    assert.match((await page.textContent('#explain-caption')) ?? '', /Evidence for “Trouser”/);
    await page.selectOption('#explain-method', 'smoothgrad');
    assert.equal(await view.getAttribute('data-method'), 'smoothgrad');
    assert.ok(await page.locator('#explain-layer').isDisabled());
    await page.selectOption('#explain-method', 'gradcam');
    await page.selectOption('#explain-class', 'predicted');
    await shot('explain-panel');
  });

  test('drawing on the canvas produces a prediction', async () => {
    await page.locator('#draw-canvas').scrollIntoViewIfNeeded();
    const box = (await page.locator('#draw-canvas').boundingBox())!;
    // A pair of trousers: a waistband and two legs.
    const strokes = [[[0.3, 0.15], [0.7, 0.15]], [[0.33, 0.15], [0.3, 0.9]], [[0.67, 0.15], [0.7, 0.9]], [[0.5, 0.18], [0.5, 0.45]]];
    for (const stroke of strokes) {
      await page.mouse.move(box.x + stroke[0][0] * box.width, box.y + stroke[0][1] * box.height);
      await page.mouse.down();
      await page.mouse.move(box.x + stroke[1][0] * box.width, box.y + stroke[1][1] * box.height, { steps: 12 });
      await page.mouse.up();
    }
    await page.waitForSelector('#draw-prediction[data-label]');
    const label = await page.getAttribute('#draw-prediction', 'data-label');
    assert.ok(data.manifest.classNames.includes(label ?? ''), `label ${label}`);
    const probs = ((await page.getAttribute('#draw-prediction', 'data-probs')) ?? '').split(',').map(Number);
    assert.equal(probs.length, 10);
    assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4);
    assert.match((await page.locator('#explain-view').textContent()) ?? '', /your drawing/, 'the explain panel follows the drawing');
    await shot('test');
    await page.screenshot({ path: path.join(shots, 'page.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  test('the stop button ends a long run early', async () => {
    await page.selectOption('#train-samples', '10000');
    await page.fill('#train-epochs', '20');
    await page.press('#train-epochs', 'Enter');
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.querySelector('#chart-loss')?.getAttribute('data-train-points')) >= 2);
    await page.click('#train-stop');
    await page.waitForSelector('body[data-training="no"]', { timeout: 30_000 });
    await page.waitForSelector('#test-accuracy');
    assert.match((await page.locator('#train-status').textContent()) ?? '', /^Stopped · test accuracy/);
    // fit still closes the interrupted epoch (validation included), then ends: at most 1 of 20.
    assert.ok(Number(await page.getAttribute('#chart-loss', 'data-val-points')) <= 1, 'stopped within the first epoch');
    assert.deepEqual(errors, []);
  });
});
