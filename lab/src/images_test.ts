/**
 * "Your images", part 3: the trained model on a new picture (dropped or chosen) or on the live
 * webcam, with a bar per class; and the download, in the TF.js Layers format with convlab.json
 * (class names, preprocessing) so that `convlab predict` reads images as the page did.
 */
import { zipSync, strToU8 } from 'fflate';
import { io, tensor, type Sequential } from '../../src/index.js';
import { artifactsToModelJson } from '../../src/io/model_json.js';
import { concatWeightData } from '../../src/io/types.js';
import { h } from './dom.js';
import { dropEntries, walkEntries } from './file_drop.js';
import { decodeImageFile, pixelsCanvas, type Webcam } from './image_source.js';
import { argmax, runMetadata, METADATA_FILE, CHANNELS, type LabRunMetadata } from './images_data.js';
import type { ImagesTrained } from './images_train.js';
import { buildFresh } from './model_builder.js';

/** Live predictions at most this often: a frame, a forward pass, a redraw. */
const LIVE_MS = 150;
export const ZIP_NAME = 'convlab-model.zip';
export const ZIP_FOLDER = 'convlab-model';

export class ImagesTester {
  private model: Sequential | null = null;
  private trained: ImagesTrained | null = null;
  private live: ReturnType<typeof setInterval> | null = null;
  private readonly prediction = h('div', { class: 'prediction', id: 'images-prediction' });
  private readonly bars = h('div', { class: 'bars', id: 'images-bars' });
  private readonly preview = h('div', { id: 'images-test-preview' });
  private readonly fileInput = h('input', { type: 'file', accept: 'image/*', id: 'images-test-file', hidden: true });
  private readonly liveButton = h('button', { id: 'images-live', disabled: true }, 'Live webcam');
  private readonly zipButton = h('button', { class: 'primary', id: 'images-download', disabled: true }, `Download model (${ZIP_NAME})`);
  private readonly filesButton = h('button', { id: 'images-download-files', disabled: true }, 'Download model.json + model.weights.bin');
  private readonly note = h('p', { class: 'note', id: 'images-test-note' }, 'Train a model above, then drop a new picture here or turn on the live webcam.');

  constructor(readonly element: HTMLElement, private readonly camera: Webcam) {
    const drop = h('div', { class: 'img-drop', id: 'images-test-drop' }, h('span', {}, 'Drop a picture to classify, or '), h('button', { onclick: () => this.fileInput.click() }, 'Choose a file'), this.fileInput);
    drop.addEventListener('dragover', (e) => e.preventDefault());
    drop.addEventListener('drop', (e) => {
      e.preventDefault();
      if (!e.dataTransfer) return;
      const { entries, files } = dropEntries(e.dataTransfer);
      void (async () => {
        const all = [...files, ...(await walkEntries(entries, () => undefined)).map((f) => f.file)];
        if (all[0]) await this.classifyFile(all[0]);
      })();
    });
    this.fileInput.addEventListener('change', () => {
      const f = this.fileInput.files?.[0];
      if (f) void this.classifyFile(f);
      this.fileInput.value = '';
    });
    this.liveButton.addEventListener('click', () => void this.toggleLive());
    camera.onChange((on) => { if (!on) this.stopLive(); });
    this.zipButton.addEventListener('click', () => this.downloadZip());
    this.filesButton.addEventListener('click', () => void this.downloadFiles());
    element.append(
      this.note,
      h('div', { class: 'row' },
        h('div', { class: 'panel sub' }, drop, h('div', { class: 'controls' }, this.liveButton), this.preview),
        h('div', { class: 'panel sub', style: 'width: 440px' }, h('h3', {}, 'Prediction'), this.prediction, this.bars),
      ),
      h('div', { class: 'controls' }, this.zipButton, this.filesButton),
      h('p', { class: 'note' }, `Then, in a terminal: unzip ${ZIP_NAME} and run  convlab predict ${ZIP_FOLDER} photo.jpg  (or  convlab predict model.json photo.jpg  next to the two TF.js files).`),
    );
  }

  show(result: ImagesTrained): void {
    const model = buildFresh(result.spec);
    model.setWeights(result.weights.map((w) => tensor(w.data, w.shape, 'float32')));
    this.model = model;
    this.trained = result;
    this.liveButton.disabled = false;
    this.zipButton.disabled = false;
    this.filesButton.disabled = false;
    this.note.textContent = `Trained on ${result.counts.training} images of ${result.classNames.length} classes (${result.classNames.join(', ')}). Drop a new picture here or turn on the live webcam.`;
    this.bars.replaceChildren();
    this.prediction.textContent = '';
    delete this.prediction.dataset.label;
  }

  private predictPixels(pixels: Uint8Array, source: string): void {
    if (!this.model || !this.trained) return;
    const size = this.trained.settings.size;
    const x = new Float32Array(pixels.length);
    for (let i = 0; i < x.length; i++) x[i] = pixels[i] / 255;
    const p = Array.from(this.model.predict(tensor(x, [1, size, size, CHANNELS], 'float32')).data as Float32Array);
    const best = argmax(p);
    const names = this.trained.classNames;
    this.prediction.textContent = `${names[best]} · ${(100 * p[best]).toFixed(1)}%`;
    this.prediction.dataset.label = names[best];
    this.prediction.dataset.probs = p.join(',');
    this.prediction.dataset.source = source;
    this.prediction.dataset.updates = String(Number(this.prediction.dataset.updates ?? 0) + 1);
    this.bars.replaceChildren(...names.map((name, i) =>
      h('div', { class: `bar${i === best ? ' top' : ''}` },
        h('span', { title: name }, name),
        h('div', { class: 'track' }, h('div', { class: 'fill', style: `width: ${(100 * p[i]).toFixed(1)}%` })),
        h('span', {}, `${(100 * p[i]).toFixed(1)}%`))));
  }

  private async classifyFile(file: File): Promise<void> {
    if (!this.trained) return;
    this.stopLive();
    const decoded = await decodeImageFile(file, this.trained.settings);
    if (!decoded.ok) {
      this.prediction.textContent = `${file.name}: ${decoded.message}`;
      delete this.prediction.dataset.label;
      this.bars.replaceChildren();
      return;
    }
    this.preview.replaceChildren(pixelsCanvas(decoded.pixels, this.trained.settings.size, 128), h('div', { class: 'note' }, `${file.name}, as the model sees it`));
    this.predictPixels(decoded.pixels, `file:${file.name}`);
  }

  private async toggleLive(): Promise<void> {
    if (this.live !== null) return this.stopLive();
    try {
      await this.camera.start();
    } catch (e) {
      this.prediction.textContent = `The camera could not start: ${(e as Error).message}`;
      return;
    }
    this.liveButton.textContent = 'Stop live webcam';
    this.liveButton.classList.add('recording');
    const tick = () => {
      if (!this.trained || !this.camera.on) return this.stopLive();
      const pixels = this.camera.frame(this.trained.settings);
      this.preview.replaceChildren(pixelsCanvas(pixels, this.trained.settings.size, 128), h('div', { class: 'note' }, 'webcam, as the model sees it'));
      this.predictPixels(pixels, 'webcam');
    };
    tick();
    this.live = setInterval(tick, LIVE_MS);
  }

  private stopLive(): void {
    if (this.live !== null) clearInterval(this.live);
    this.live = null;
    this.liveButton.textContent = 'Live webcam';
    this.liveButton.classList.remove('recording');
  }

  /** What `convlab predict` reads: convlab.json, as `convlab train --data` writes it. */
  metadata(): LabRunMetadata {
    const t = this.trained!;
    return runMetadata({
      model: `lab-${t.kind}`, classes: t.classNames.map((name, id) => ({ id, name, samples: [], skipped: {} })), settings: t.settings,
      validationSplit: t.params.validationSplit, seed: t.params.seed, counts: t.counts, validation: t.validation,
      training: { ...t.params, trainSamples: t.counts.training, seconds: t.seconds, backend: t.backend, where: 'convlab browser lab, Your images', stopped: t.stopped },
    });
  }

  private save(url: string, name: string): void {
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }

  /** One zip: convlab-model/model.json, weights.bin and convlab.json. */
  private downloadZip(): void {
    if (!this.model) return;
    const artifacts = io.modelToArtifacts(this.model);
    const json = artifactsToModelJson(artifacts, 'weights.bin');
    const zip = zipSync({
      [`${ZIP_FOLDER}/model.json`]: strToU8(JSON.stringify(json)),
      [`${ZIP_FOLDER}/weights.bin`]: new Uint8Array(concatWeightData(artifacts.weightData)),
      [`${ZIP_FOLDER}/${METADATA_FILE}`]: strToU8(`${JSON.stringify(this.metadata(), null, 2)}\n`),
    });
    this.save(URL.createObjectURL(new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' })), ZIP_NAME);
  }

  /** TF.js's 'downloads://model' (model.json + model.weights.bin), convlab.json inside model.json. */
  private async downloadFiles(): Promise<void> {
    if (!this.model) return;
    const artifacts = io.modelToArtifacts(this.model);
    artifacts.userDefinedMetadata = { convlab: this.metadata() };
    await io.downloadsHandler('model').save!(artifacts);
  }
}
