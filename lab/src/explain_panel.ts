/**
 * Section 5's explanation panel: which pixels decide the trained model's answer for the selected
 * test image or for your drawing. Grad-CAM (any convolution or pooling layer), SmoothGrad or the
 * plain gradient, for the predicted class or any other, computed by the library's
 * `explain` calls on the main thread (a 28x28 image takes milliseconds).
 */
import { explain, tensor, type Sequential, type Tensor } from '../../src/index.js';
import { h, labeled, select } from './dom.js';
import { imageCanvas } from './matrix_canvas.js';

type Method = 'gradcam' | 'smoothgrad' | 'vanilla';
const SCALE = 6;

export class ExplainPanel {
  private model: Sequential | null = null;
  private image: Float32Array | null = null;
  private title = '';
  private method: Method = 'gradcam';
  private layer = '';
  private classChoice = 'predicted';
  private readonly layerSelect = h('select', { id: 'explain-layer' });
  private readonly classSelect: HTMLSelectElement;
  private readonly view = h('div', { class: 'row', id: 'explain-view' });
  private readonly caption = h('p', { class: 'note', id: 'explain-caption' }, 'Train a model, then click a test image or draw one to see which pixels decide its answer.');
  readonly element: HTMLElement;

  constructor(private readonly classNames: string[]) {
    this.classSelect = select([['predicted', 'the predicted class'], ...classNames.map((n, i): [string, string] => [String(i), `${i} ${n}`])], 'predicted', (v) => { this.classChoice = v; this.render(); }, { id: 'explain-class' });
    this.layerSelect.addEventListener('change', () => { this.layer = this.layerSelect.value; this.render(); });
    const methods = select([['gradcam', 'Grad-CAM'], ['smoothgrad', 'SmoothGrad saliency'], ['vanilla', 'gradient saliency']], this.method, (v) => {
      this.method = v as Method;
      this.layerSelect.disabled = this.method !== 'gradcam';
      this.render();
    }, { id: 'explain-method' });
    this.element = h('div', { class: 'panel', id: 'explain-panel' },
      h('h3', {}, 'What does the model look at? (red: the pixels that decide the class)'),
      h('div', { class: 'controls' }, labeled('Method ', methods), labeled(' Layer ', this.layerSelect), labeled(' Class ', this.classSelect)),
      this.caption,
      this.view,
    );
  }

  /** A newly trained model: the layer list is rebuilt, with the last convolution selected. */
  setModel(model: Sequential): void {
    this.model = model;
    const shapes = model.outputShapes();
    const spatial = model.layers.filter((_, i) => shapes[i].length === 4);
    this.layer = explain.lastConvLayer(model).name;
    this.layerSelect.replaceChildren(...spatial.map((l) => h('option', { value: l.name }, `${l.name} (${l.className})`)));
    this.layerSelect.value = this.layer;
    this.render();
  }

  /** Explains this 28x28 image (values 0..1) next. */
  explainImage(pixels: Float32Array, title: string): void {
    this.image = pixels;
    this.title = title;
    this.render();
  }

  private render(): void {
    if (!this.model || !this.image) return;
    const x: Tensor = tensor(this.image, [1, 28, 28, 1], 'float32');
    const p = this.model.predict(x).data as Float32Array;
    let predicted = 0;
    for (let i = 1; i < p.length; i++) if (p[i] > p[predicted]) predicted = i;
    const classIndex = this.classChoice === 'predicted' ? predicted : Number(this.classChoice);
    const heat = this.method === 'gradcam'
      ? explain.gradCam(this.model, x, { layer: this.layer, classIndex })
      : explain.saliency(this.model, x, { classIndex, method: this.method, samples: 25, seed: 0 });
    const peak = explain.argmax2d(heat);
    this.view.replaceChildren(
      h('figure', {}, imageCanvas(this.image, 28, 28, SCALE), h('figcaption', {}, this.title)),
      h('figure', {}, this.overlay(heat.data as Float32Array), h('figcaption', {}, `${this.method === 'gradcam' ? `Grad-CAM of ${this.layer}` : this.method === 'smoothgrad' ? 'SmoothGrad (25 noisy copies)' : 'gradient |d score / d pixel|'}`)),
    );
    this.view.dataset.method = this.method;
    this.view.dataset.layer = this.method === 'gradcam' ? this.layer : '';
    this.view.dataset.classIndex = String(classIndex);
    this.view.dataset.peak = `${peak.y},${peak.x}`;
    this.caption.textContent = `Evidence for “${this.classNames[classIndex]}” (${(100 * p[classIndex]).toFixed(1)}%${classIndex === predicted ? ', the prediction' : `; the model predicts ${this.classNames[predicted]}`}). The map is largest at row ${peak.y}, column ${peak.x}.`;
  }

  /** The image in grey (light on dark, as the model sees it) with the map's jet colours over it. */
  private overlay(heat: Float32Array): HTMLCanvasElement {
    const image = this.image!;
    const canvas = document.createElement('canvas');
    canvas.width = 28 * SCALE;
    canvas.height = 28 * SCALE;
    canvas.className = 'explain-overlay';
    const small = document.createElement('canvas');
    small.width = 28;
    small.height = 28;
    const rgba = explain.overlayRGBA((i) => { const v = 255 * Math.min(Math.max(image[i], 0), 1); return [v, v, v]; }, heat, 28, 28);
    small.getContext('2d')!.putImageData(new ImageData(rgba as unknown as Uint8ClampedArray<ArrayBuffer>, 28, 28), 0, 0);
    const ctx = canvas.getContext('2d')!;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
    return canvas;
  }
}
