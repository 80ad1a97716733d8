/**
 * Section 1: a 3×3 kernel sliding over a 28×28 image. The output map comes from the library's
 * conv2d; the highlighted pixel is also computed product by product, and the two must agree.
 */
import { ops, tensor } from '../../src/index.js';
import { KERNEL_PRESETS, convWindow, formatValue, geometry, parseKernelValue, sizeFormula, type Geometry, type Padding } from './conv_math.js';
import { h, labeled, select } from './dom.js';
import type { InputSource } from './inputs.js';
import { cellAt, drawMatrix } from './matrix_canvas.js';

const CELL_IN = 11;
const K = 3;

export class ConvExplainer {
  private source: InputSource;
  private kernel = [...KERNEL_PRESETS.edge.values];
  private padding: Padding = 'valid';
  private stride = 1;
  private pos = { row: 9, col: 14 };
  private timer: ReturnType<typeof setInterval> | null = null;
  private input: Float32Array = new Float32Array(28 * 28);
  private output: Float32Array = new Float32Array(0);
  private g: Geometry = geometry(28, 28, K, 1, 'valid');
  private listeners: (() => void)[] = [];
  private displayPad = 0;

  private readonly inCanvas = h('canvas', { class: 'matrix', id: 'conv-input-canvas' });
  private readonly outCanvas = h('canvas', { class: 'matrix', id: 'conv-output-canvas' });
  private readonly kernelInputs = Array.from({ length: K * K }, (_, i) => h('input', { type: 'text', id: `conv-k-${i}`, 'aria-label': `kernel cell ${i}` }));
  private readonly kernelSelect: HTMLSelectElement;
  private readonly rowInput = h('input', { type: 'number', id: 'conv-row', min: 0 });
  private readonly colInput = h('input', { type: 'number', id: 'conv-col', min: 0 });
  private readonly table = h('table', { class: 'window-table', id: 'conv-window' });
  private readonly result = h('div', { class: 'result' });
  private readonly formula = h('div', { class: 'formula', id: 'conv-formula' });
  private readonly error = h('p', { class: 'error', hidden: true });
  private firstUpdate = true;
  private readonly outTitle = h('h3', { id: 'conv-out-size' }, 'Output');
  private readonly outNote = h('p', { class: 'note' });
  private readonly playButton = h('button', { id: 'conv-play' }, '▶ Animate');

  constructor(root: HTMLElement, private readonly sources: InputSource[]) {
    this.source = sources[0];
    this.kernelSelect = select([...Object.entries(KERNEL_PRESETS).map(([k, v]): [string, string] => [k, v.label]), ['custom', 'Custom (edit the numbers)']], 'edge', (v) => this.setPreset(v), { id: 'conv-kernel' });
    this.kernelInputs.forEach((inp) => inp.addEventListener('input', () => this.readKernel()));
    this.rowInput.addEventListener('change', () => this.moveTo(Number(this.rowInput.value), this.pos.col));
    this.colInput.addEventListener('change', () => this.moveTo(this.pos.row, Number(this.colInput.value)));
    this.outCanvas.addEventListener('click', (e) => { const c = cellAt(this.outCanvas, e, this.outCell()); this.moveTo(c.row, c.col); });
    this.inCanvas.addEventListener('click', (e) => {
      // Clicking the input picks the output pixel whose window starts nearest that cell.
      const c = cellAt(this.inCanvas, e, CELL_IN, this.displayPad);
      this.moveTo(Math.round((c.row + this.g.padTop - 1) / this.stride), Math.round((c.col + this.g.padLeft - 1) / this.stride));
    });
    this.playButton.addEventListener('click', () => this.toggleAnimation());

    root.append(
      h('h2', {}, '1 · Convolution'),
      h('p', { class: 'lead' }, 'A Conv2D layer slides a small kernel over the image. Each output pixel is the sum of the window’s pixels times the kernel’s weights (no bias here). Click a pixel of either map, step, or animate; change the padding and stride to see the output size change.'),
      h('div', { class: 'controls' },
        labeled('Input', select(this.sources.map((s): [string, string] => [s.id, s.label]), this.source.id, (v) => this.setSource(v), { id: 'conv-input' })),
        labeled('Kernel', this.kernelSelect),
        labeled('Padding', select([['valid', "'valid' (no padding)"], ['same', "'same' (zero padding)"]], 'valid', (v) => { this.padding = v as Padding; this.update(); }, { id: 'conv-padding' })),
        labeled('Strides', select([['1', '1'], ['2', '2'], ['3', '3']], '1', (v) => { this.stride = Number(v); this.update(); }, { id: 'conv-stride' })),
        labeled('Row', this.rowInput),
        labeled('Column', this.colInput),
        h('button', { id: 'conv-prev', onclick: () => this.step(-1) }, '◀ Step'),
        h('button', { id: 'conv-next', onclick: () => this.step(1) }, 'Step ▶'),
        this.playButton,
      ),
      this.error,
      h('div', { class: 'row' },
        h('div', { class: 'panel' }, h('h3', {}, 'Input (window in orange)'), this.inCanvas),
        h('div', { class: 'panel sub' },
          h('h3', {}, 'Kernel (3×3 weights)'),
          h('div', { class: 'kernel-grid' }, ...this.kernelInputs),
          h('h3', {}, 'Window × kernel'),
          this.table,
          this.result,
        ),
        h('div', { class: 'panel' }, this.outTitle, this.outCanvas, this.outNote),
      ),
      h('p', {}, h('span', { class: 'note' }, 'Output size per axis: '), this.formula),
    );
    this.writeKernel();
    this.update();
  }

  /** Called after each redraw (the pooling section can pool this output). */
  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** The output map after ReLU, as Conv2D(activation='relu') would pass it on. */
  featureMap(): { data: Float32Array; rows: number; cols: number } {
    return { data: this.output.map((v) => Math.max(0, v)), rows: this.g.outH, cols: this.g.outW };
  }

  refreshSource(): void {
    if (this.source.id === 'drawing') this.update();
  }

  private outCell(): number {
    return Math.max(4, Math.floor(308 / Math.max(this.g.outW, 1)));
  }

  private setSource(id: string): void {
    this.source = this.sources.find((s) => s.id === id) ?? this.sources[0];
    this.update();
  }

  private setPreset(name: string): void {
    if (name !== 'custom') this.kernel = [...KERNEL_PRESETS[name].values];
    this.writeKernel();
    this.update();
  }

  private writeKernel(): void {
    this.kernelInputs.forEach((inp, i) => {
      const v = this.kernel[i];
      inp.value = Math.abs(v * 9 - Math.round(v * 9)) < 1e-9 && !Number.isInteger(v) ? `${Math.round(v * 9)}/9` : String(+v.toFixed(4));
    });
  }

  private readKernel(): void {
    try {
      this.kernel = this.kernelInputs.map((inp) => parseKernelValue(inp.value));
      this.kernelSelect.value = Object.entries(KERNEL_PRESETS).find(([, p]) => p.values.every((v, i) => Math.abs(v - this.kernel[i]) < 1e-9))?.[0] ?? 'custom';
      this.update();
    } catch (err) {
      this.showError((err as Error).message);
    }
  }

  private showError(message: string | null): void {
    this.error.hidden = message === null;
    this.error.textContent = message ?? '';
  }

  private moveTo(row: number, col: number): void {
    this.pos = { row: Math.max(0, Math.min(this.g.outH - 1, Math.trunc(row) || 0)), col: Math.max(0, Math.min(this.g.outW - 1, Math.trunc(col) || 0)) };
    this.render();
  }

  private step(delta: number): void {
    const n = this.g.outH * this.g.outW;
    const i = (this.pos.row * this.g.outW + this.pos.col + delta + n) % n;
    this.moveTo(Math.floor(i / this.g.outW), i % this.g.outW);
  }

  private toggleAnimation(): void {
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = null;
      this.playButton.textContent = '▶ Animate';
      return;
    }
    this.playButton.textContent = '⏸ Pause';
    this.timer = setInterval(() => this.step(1), 90);
  }

  private update(): void {
    const pixels = this.source.pixels();
    if (!pixels) {
      this.showError('Nothing drawn yet: draw a clothing item in section 5 (Testing), then pick this input again.');
      return;
    }
    this.showError(null);
    this.input = pixels;
    this.g = geometry(28, 28, K, this.stride, this.padding);
    // The library computes the whole map; the page recomputes the highlighted pixel by hand.
    const y = ops.conv2d(tensor(this.input, [1, 28, 28, 1], 'float32'), tensor(Float32Array.from(this.kernel), [K, K, 1, 1], 'float32'), { strides: this.stride, padding: this.padding });
    this.output = y.data as Float32Array;
    this.formula.textContent = sizeFormula(28, K, this.stride, this.padding);
    if (this.firstUpdate) {
      // Start where something happens: the strongest response of the map.
      this.firstUpdate = false;
      let best = 0;
      for (let i = 1; i < this.output.length; i++) if (Math.abs(this.output[i]) > Math.abs(this.output[best])) best = i;
      this.pos = { row: Math.floor(best / this.g.outW), col: best % this.g.outW };
    }
    this.moveTo(this.pos.row, this.pos.col);
    for (const l of this.listeners) l();
  }

  private render(): void {
    const { row, col } = this.pos;
    this.rowInput.value = String(row);
    this.colInput.value = String(col);
    this.rowInput.max = String(this.g.outH - 1);
    this.colInput.max = String(this.g.outW - 1);
    const pad = this.padding === 'same' ? Math.max(this.g.padTop, this.g.padLeft, 1) : 0;
    this.displayPad = pad;
    const top = row * this.stride - this.g.padTop;
    const left = col * this.stride - this.g.padLeft;
    drawMatrix(this.inCanvas, this.input, 28, 28, { cell: CELL_IN, pad, range: [0, 1], grid: true, boxes: [{ row: top, col: left, height: K, width: K, color: '#f59e0b' }] });
    drawMatrix(this.outCanvas, this.output, this.g.outH, this.g.outW, { cell: this.outCell(), diverging: true, grid: true, boxes: [{ row, col, height: 1, width: 1, color: '#f59e0b' }] });
    const { cells, sum } = convWindow(this.input, this.g, this.kernel, row, col);
    this.table.replaceChildren(
      ...[0, 1, 2].map((i) =>
        h('tr', {}, ...cells.slice(i * K, i * K + K).map((c) =>
          h('td', { class: c.inside ? '' : 'pad', title: c.inside ? `input (${c.row}, ${c.col})` : 'zero padding' },
            h('div', { class: 'f' }, `${formatValue(c.x, 2)} × ${formatValue(c.w, 2)}`),
            h('div', { class: 'p' }, formatValue(c.product))))),
      ),
    );
    const library = this.output[row * this.g.outW + col];
    const agree = Math.abs(library - sum) <= 1e-5 * Math.max(1, Math.abs(sum));
    this.result.replaceChildren(
      h('div', {}, `Output (${row}, ${col}) = Σ products = `, h('strong', { id: 'conv-sum' }, formatValue(sum, 4))),
      h('div', { class: agree ? 'check' : 'error' }, `convlab conv2d gives `, h('span', { id: 'conv-lib' }, formatValue(library, 4)), agree ? ' ✓ same value' : ' ✗ differs'),
    );
    this.outTitle.textContent = `Output ${this.g.outH}×${this.g.outW} (red +, blue −)`;
    this.outNote.textContent = `input 28×28, kernel 3×3, strides ${this.stride}, padding '${this.padding}'${pad ? ' (zero padding hatched)' : ''}`;
  }
}
