/**
 * Section 5: the trained model on the test images (accuracy, confusion matrix, a grid of
 * predictions in blue/red as in the lab, the feature maps of each layer) and on your drawing,
 * and which pixels decide its answer for either (explain_panel.ts).
 */
import { noGrad, tensor, type Sequential, type Tensor } from '../../src/index.js';
import { imageAt, type LabDataset } from './dataset_format.js';
import { h } from './dom.js';
import type { DrawPad } from './draw_pad.js';
import { ExplainPanel } from './explain_panel.js';
import { imageCanvas, valueRange } from './matrix_canvas.js';
import { buildFresh } from './model_builder.js';
import type { TrainedResult } from './training_panel.js';

const GRID = 24;
const MAX_MAPS = 16;

export class TestingPanel {
  private model: Sequential | null = null;
  private result: TrainedResult | null = null;
  private selected = 0;
  private readonly summary = h('div', { id: 'test-summary' }, h('p', { class: 'note' }, 'Train a model in section 4 to see how it does on the test images.'));
  private readonly confusion = h('div', { id: 'confusion' });
  private readonly grid = h('div', { class: 'grid-images', id: 'test-grid' });
  private readonly fmaps = h('div', { class: 'fmaps', id: 'feature-maps' });
  private readonly prediction = h('div', { class: 'prediction', id: 'draw-prediction' });
  private readonly bars = h('div', { class: 'bars', id: 'draw-bars' });
  private readonly preview = h('div', { id: 'draw-preview' });
  private readonly classNames: string[];
  private readonly explainer: ExplainPanel;
  private readonly results = h('div', { hidden: true },
    h('div', { class: 'row' },
      h('div', { class: 'panel' }, h('h3', {}, 'Confusion matrix (rows: true class, columns: predicted)'), this.confusion),
      h('div', { class: 'panel' }, h('h3', {}, 'Test images (click one)'), this.grid),
    ),
    h('hr', { class: 'sep' }),
    h('h3', {}, 'Feature maps of the selected image, layer by layer'),
    this.fmaps,
  );

  constructor(root: HTMLElement, private readonly data: LabDataset, private readonly pad: DrawPad) {
    this.classNames = data.manifest.classNames;
    this.explainer = new ExplainPanel(this.classNames);
    root.append(
      h('h2', {}, '5 · Testing'),
      h('p', { class: 'lead' }, `The trained model on the ${data.test.count.toLocaleString('en-US')} test images it never saw: blue captions are right, red are wrong (predicted label, confidence, true label). Click an image to see what each layer makes of it.`),
      this.summary,
      this.results,
      h('hr', { class: 'sep' }),
      h('div', { class: 'row' },
        h('div', { class: 'panel sub' },
          h('h3', {}, 'Draw a clothing item (light on dark, as in Fashion-MNIST)'),
          pad.canvas,
          h('div', { class: 'controls' }, h('button', { id: 'draw-clear', onclick: () => pad.clear() }, 'Clear'), h('span', { class: 'note' }, 'The model sees it as 28×28:'), this.preview),
        ),
        h('div', { class: 'panel sub', style: 'width: 440px' }, h('h3', {}, 'Prediction'), this.prediction, this.bars),
      ),
      h('hr', { class: 'sep' }),
      this.explainer.element,
    );
    pad.onChange((px) => this.predictDrawing(px));
    this.predictDrawing(null);
  }

  show(result: TrainedResult): void {
    const model = buildFresh(result.spec);
    model.setWeights(result.weights.map((w) => tensor(w.data, w.shape, 'float32')));
    this.model = model;
    this.result = result;
    this.results.hidden = false;
    this.renderSummary();
    this.renderConfusion();
    this.renderGrid();
    this.renderFeatureMaps();
    this.explainer.setModel(model);
    this.explainTestImage();
    this.predictDrawing(this.pad.pixels());
  }

  private explainTestImage(): void {
    const label = this.classNames[this.data.test.labels[this.selected]];
    this.explainer.explainImage(imageAt(this.data.test, this.selected, 28, 28), `test image #${this.selected} (${label})`);
  }

  private argmax(row: ArrayLike<number>): number {
    let best = 0;
    for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
    return best;
  }

  private probs(i: number): Float32Array {
    const k = this.classNames.length;
    return this.result!.testProbs.subarray(i * k, (i + 1) * k);
  }

  private renderSummary(): void {
    const r = this.result!;
    this.summary.replaceChildren(
      h('div', { class: 'row' },
        h('div', {}, h('div', { class: 'note' }, 'Test accuracy'), h('div', { class: 'big', id: 'test-accuracy', 'data-value': String(r.testAccuracy) }, `${(r.testAccuracy * 100).toFixed(2)}%`)),
        h('div', {}, h('div', { class: 'note' }, 'Test loss'), h('div', { class: 'big' }, r.testLoss.toFixed(4))),
        r.stopped ? h('p', { class: 'note' }, 'Training was stopped early: these are the weights at the moment it stopped.') : null,
      ),
    );
  }

  private renderConfusion(): void {
    const k = this.classNames.length;
    const counts = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (let i = 0; i < this.data.test.count; i++) counts[this.data.test.labels[i]][this.argmax(this.probs(i))]++;
    const head = h('tr', {}, h('th', {}), ...this.classNames.map((_, j) => h('th', { title: this.classNames[j] }, String(j))));
    const rows = counts.map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      return h('tr', {}, h('th', { class: 'rowh' }, `${t} ${this.classNames[t]}`), ...row.map((c, p) => {
        const f = c / total;
        const color = t === p ? `rgba(37,99,235,${0.08 + 0.85 * f})` : `rgba(220,38,38,${c ? 0.08 + 1.6 * f : 0})`;
        return h('td', { style: `background:${color}; color:${f > 0.55 ? '#fff' : '#1c2330'}`, title: `true ${this.classNames[t]}, predicted ${this.classNames[p]}: ${c}` }, c ? String(c) : '');
      }));
    });
    this.confusion.replaceChildren(h('table', { class: 'confusion' }, head, ...rows));
  }

  private renderGrid(): void {
    const n = Math.min(GRID, this.data.test.count);
    this.grid.replaceChildren(...Array.from({ length: n }, (_, i) => {
      const p = this.probs(i);
      const pred = this.argmax(p);
      const truth = this.data.test.labels[i];
      const fig = h('figure', { class: i === this.selected ? 'selected' : '', 'data-index': i, title: `test image #${i}` },
        imageCanvas(imageAt(this.data.test, i, 28, 28), 28, 28, 2),
        h('figcaption', { class: pred === truth ? 'ok' : 'wrong' }, `${this.classNames[pred]} ${Math.round(p[pred] * 100)}%`, h('br'), `(${this.classNames[truth]})`));
      fig.addEventListener('click', () => { this.selected = i; this.renderGrid(); this.renderFeatureMaps(); this.explainTestImage(); });
      return fig;
    }));
  }

  /** Runs the layers one by one in inference mode and draws each output. */
  private renderFeatureMaps(): void {
    const model = this.model!;
    let x: Tensor = tensor(imageAt(this.data.test, this.selected, 28, 28), [1, 28, 28, 1], 'float32');
    const blocks: HTMLElement[] = [h('div', { class: 'fmap-layer' }, h('h4', {}, `Input: test image #${this.selected} (${this.classNames[this.data.test.labels[this.selected]]})`), imageCanvas(x.data as Float32Array, 28, 28, 3))];
    noGrad(() => {
      for (const layer of model.layers) {
        x = layer.apply(x, false);
        const shape = x.shape;
        const title = `${layer.name} (${layer.className}) → (None, ${shape.slice(1).join(', ')})`;
        if (shape.length === 4) {
          const [, hh, ww, c] = shape;
          const data = x.data as Float32Array;
          const maps: HTMLElement[] = [];
          const scale = Math.max(1, Math.floor(56 / Math.max(hh, ww)));
          for (let ch = 0; ch < Math.min(c, MAX_MAPS); ch++) {
            const plane = new Float32Array(hh * ww);
            for (let i = 0; i < hh * ww; i++) plane[i] = data[i * c + ch];
            const range = valueRange(plane);
            maps.push(imageCanvas(plane, hh, ww, scale, range[0] < 0 ? range : [0, Math.max(range[1], 1e-6)], range[0] < 0));
          }
          blocks.push(h('div', { class: 'fmap-layer' }, h('h4', {}, title + (c > MAX_MAPS ? ` · first ${MAX_MAPS} of ${c} channels` : '')), h('div', { class: 'maps' }, ...maps)));
        } else if (layer === model.layers[model.layers.length - 1]) {
          blocks.push(h('div', { class: 'fmap-layer' }, h('h4', {}, title), this.barList(x.data as Float32Array)));
        } else {
          const data = x.data as Float32Array;
          const strip = imageCanvas(data, 1, data.length, data.length > 300 ? 1 : 3, valueRange(data), valueRange(data)[0] < 0);
          strip.style.height = '14px';
          strip.style.maxWidth = '100%';
          blocks.push(h('div', { class: 'fmap-layer' }, h('h4', {}, `${title} · ${data.length} values`), strip));
        }
      }
    });
    this.fmaps.replaceChildren(...blocks);
  }

  private barList(p: ArrayLike<number>): HTMLElement {
    const best = this.argmax(p);
    return h('div', { class: 'bars' }, ...this.classNames.map((name, i) =>
      h('div', { class: `bar${i === best ? ' top' : ''}` }, h('span', {}, name), h('div', { class: 'track' }, h('div', { class: 'fill', style: `width:${(p[i] * 100).toFixed(1)}%` })), h('span', {}, `${(p[i] * 100).toFixed(1)}%`))));
  }

  private predictDrawing(pixels: Float32Array | null): void {
    this.preview.replaceChildren(pixels ? imageCanvas(pixels, 28, 28, 2) : h('span', { class: 'note' }, '(empty)'));
    if (!pixels) {
      this.prediction.textContent = this.model ? 'Draw something on the black square.' : 'Train a model (section 4), then draw here to see its prediction live.';
      delete this.prediction.dataset.label;
      this.bars.replaceChildren();
      return;
    }
    if (!this.model) {
      this.prediction.textContent = 'Train a model first (section 4): the drawing is kept and will be classified then.';
      return;
    }
    const p = this.model.predict(tensor(pixels, [1, 28, 28, 1], 'float32')).data as Float32Array;
    const best = this.argmax(p);
    this.prediction.textContent = `${this.classNames[best]} · ${(p[best] * 100).toFixed(1)}%`;
    this.prediction.dataset.label = this.classNames[best];
    this.prediction.dataset.probs = Array.from(p, (v) => v.toFixed(6)).join(',');
    this.bars.replaceChildren(this.barList(p));
    this.explainer.explainImage(pixels, 'your drawing');
  }
}
