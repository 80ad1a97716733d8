/**
 * Section 2: max and average pooling over the image or over the convolution's feature map.
 * The library's maxPool/avgPool compute the map; the page shows the window and which input wins.
 */
import { ops, tensor } from '../../src/index.js';
import { formatValue, geometry, poolWindow, sizeFormula, type Geometry, type Padding } from './conv_math.js';
import type { ConvExplainer } from './conv_explainer.js';
import { h, labeled, select } from './dom.js';
import type { InputSource } from './inputs.js';
import { cellAt, drawMatrix } from './matrix_canvas.js';

export class PoolExplainer {
  private sourceId = 'conv';
  private kind: 'max' | 'avg' = 'max';
  private size = 2;
  private stride = 2;
  private padding: Padding = 'valid';
  private pos = { row: 5, col: 5 };
  private input: { data: Float32Array; rows: number; cols: number } = { data: new Float32Array(0), rows: 0, cols: 0 };
  private output: Float32Array = new Float32Array(0);
  private g: Geometry = geometry(28, 28, 2, 2, 'valid');

  private readonly inCanvas = h('canvas', { class: 'matrix', id: 'pool-input-canvas' });
  private readonly outCanvas = h('canvas', { class: 'matrix', id: 'pool-output-canvas' });
  private readonly table = h('table', { class: 'window-table', id: 'pool-window' });
  private readonly result = h('div', { class: 'result' });
  private readonly formula = h('div', { class: 'formula', id: 'pool-formula' });
  private readonly title = h('h3', {}, 'Output');
  private readonly outNote = h('p', { class: 'note' });
  private readonly inTitle = h('h3', {}, 'Input');
  private readonly error = h('p', { class: 'error', hidden: true });
  private firstUpdate = true;
  private readonly rowInput = h('input', { type: 'number', id: 'pool-row', min: 0 });
  private readonly colInput = h('input', { type: 'number', id: 'pool-col', min: 0 });

  constructor(root: HTMLElement, private readonly sources: InputSource[], private readonly conv: ConvExplainer) {
    const options: [string, string][] = [['conv', 'Feature map of section 1 (after ReLU)'], ...sources.map((s): [string, string] => [s.id, s.label])];
    this.outCanvas.addEventListener('click', (e) => { const c = cellAt(this.outCanvas, e, this.outCell()); this.moveTo(c.row, c.col); });
    conv.onChange(() => { if (this.sourceId === 'conv') this.update(); });
    this.rowInput.addEventListener('change', () => this.moveTo(Number(this.rowInput.value), this.pos.col));
    this.colInput.addEventListener('change', () => this.moveTo(this.pos.row, Number(this.colInput.value)));
    root.append(
      h('h2', {}, '2 · Pooling'),
      h('p', { class: 'lead' }, 'Pooling shrinks a feature map while keeping what matters: max pooling keeps the largest value of each window (outlined in red), average pooling their mean. A 2×2 pool with stride 2 halves each side, and it has no weights: the parameter count does not change (Desafio 2).'),
      h('div', { class: 'controls' },
        labeled('Input', select(options, this.sourceId, (v) => { this.sourceId = v; this.update(); }, { id: 'pool-input' })),
        labeled('Pooling', select([['max', 'MaxPooling2D'], ['avg', 'AveragePooling2D']], 'max', (v) => { this.kind = v as 'max' | 'avg'; this.update(); }, { id: 'pool-kind' })),
        labeled('poolSize', select([['2', '2×2'], ['3', '3×3']], '2', (v) => { this.size = Number(v); this.update(); }, { id: 'pool-size' })),
        labeled('Strides', select([['1', '1'], ['2', '2'], ['3', '3']], '2', (v) => { this.stride = Number(v); this.update(); }, { id: 'pool-stride' })),
        labeled('Padding', select([['valid', "'valid'"], ['same', "'same'"]], 'valid', (v) => { this.padding = v as Padding; this.update(); }, { id: 'pool-padding' })),
        labeled('Row', this.rowInput),
        labeled('Column', this.colInput),
        h('button', { onclick: () => this.step(-1) }, '◀ Step'),
        h('button', { onclick: () => this.step(1) }, 'Step ▶'),
      ),
      this.error,
      h('div', { class: 'row' },
        h('div', { class: 'panel' }, this.inTitle, this.inCanvas),
        h('div', { class: 'panel sub' }, h('h3', {}, 'Window'), this.table, this.result),
        h('div', { class: 'panel' }, this.title, this.outCanvas, this.outNote),
      ),
      h('p', {}, h('span', { class: 'note' }, 'Output size per axis: '), this.formula),
    );
    this.update();
  }

  refreshSource(): void {
    if (this.sourceId === 'drawing') this.update();
  }

  private outCell(): number {
    return Math.max(6, Math.floor(224 / Math.max(this.g.outW, 1)));
  }

  private inCell(): number {
    return Math.max(8, Math.floor(308 / Math.max(this.input.cols, 1)));
  }

  private update(): void {
    if (this.sourceId === 'conv') {
      this.input = this.conv.featureMap();
    } else {
      const pixels = this.sources.find((s) => s.id === this.sourceId)?.pixels();
      if (!pixels) {
        this.error.hidden = false;
        this.error.textContent = 'Nothing drawn yet: draw a clothing item in section 5 (Testing), then pick this input again.';
        return;
      }
      this.input = { data: pixels, rows: 28, cols: 28 };
    }
    this.error.hidden = true;
    const { data, rows, cols } = this.input;
    this.g = geometry(rows, cols, this.size, this.stride, this.padding);
    if (this.g.outH <= 0 || this.g.outW <= 0) {
      this.error.hidden = false;
      this.error.textContent = `A ${this.size}×${this.size} pool does not fit a ${rows}×${cols} input with 'valid' padding`;
      return;
    }
    const x = tensor(data, [1, rows, cols, 1], 'float32');
    const args = { poolSize: this.size, strides: this.stride, padding: this.padding };
    this.output = (this.kind === 'max' ? ops.maxPool(x, args) : ops.avgPool(x, args)).data as Float32Array;
    this.formula.textContent = sizeFormula(rows, this.size, this.stride, this.padding);
    if (this.firstUpdate) {
      // Start where something happens: the strongest response of the map.
      this.firstUpdate = false;
      let best = 0;
      for (let i = 1; i < this.output.length; i++) if (Math.abs(this.output[i]) > Math.abs(this.output[best])) best = i;
      this.pos = { row: Math.floor(best / this.g.outW), col: best % this.g.outW };
    }
    this.inTitle.textContent = `Input ${rows}×${cols}`;
    this.moveTo(this.pos.row, this.pos.col);
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

  private render(): void {
    const { row, col } = this.pos;
    this.rowInput.value = String(row);
    this.colInput.value = String(col);
    this.rowInput.max = String(this.g.outH - 1);
    this.colInput.max = String(this.g.outW - 1);
    const { data, rows, cols } = this.input;
    const win = poolWindow(data, this.g, this.kind, row, col);
    const pad = this.padding === 'same' && (this.g.padTop > 0 || (this.g.outH - 1) * this.stride + this.size > rows) ? 1 : 0;
    const boxes = [{ row: row * this.stride - this.g.padTop, col: col * this.stride - this.g.padLeft, height: this.size, width: this.size, color: '#f59e0b' }];
    if (win.winner >= 0) boxes.push({ row: win.cells[win.winner].row, col: win.cells[win.winner].col, height: 1, width: 1, color: '#dc2626' });
    const range: [number, number] = [0, Math.max(1e-6, ...data)];
    drawMatrix(this.inCanvas, data, rows, cols, { cell: this.inCell(), pad, range, grid: true, boxes });
    drawMatrix(this.outCanvas, this.output, this.g.outH, this.g.outW, { cell: this.outCell(), range, grid: true, boxes: [{ row, col, height: 1, width: 1, color: '#f59e0b' }] });
    const byPos = new Map(win.cells.map((c, i) => [`${c.row},${c.col}`, i]));
    const top = row * this.stride - this.g.padTop;
    const left = col * this.stride - this.g.padLeft;
    this.table.replaceChildren(
      ...Array.from({ length: this.size }, (_, i) =>
        h('tr', {}, ...Array.from({ length: this.size }, (_, j) => {
          const k = byPos.get(`${top + i},${left + j}`);
          if (k === undefined) return h('td', { class: 'pad', title: 'padding: ignored' }, '—');
          return h('td', { class: k === win.winner ? 'win' : '' }, h('div', { class: 'p' }, formatValue(win.cells[k].x)));
        })),
      ),
    );
    const library = this.output[row * this.g.outW + col];
    const how = this.kind === 'max' ? `max of ${win.cells.length} values` : `(${win.cells.map((c) => formatValue(c.x, 2)).join(' + ')}) / ${win.cells.length}`;
    const agree = Math.abs(library - win.value) <= 1e-5 * Math.max(1, Math.abs(win.value));
    this.result.replaceChildren(
      h('div', { class: 'note' }, how),
      h('div', {}, `Output (${row}, ${col}) = `, h('strong', { id: 'pool-value' }, formatValue(win.value, 4))),
      h('div', { class: agree ? 'check' : 'error' }, `convlab ${this.kind === 'max' ? 'maxPool' : 'avgPool'} gives ${formatValue(library, 4)}${agree ? ' ✓' : ' ✗ differs'}`),
    );
    this.title.textContent = `Output ${this.g.outH}×${this.g.outW}`;
    this.outNote.textContent = `pool ${this.size}×${this.size}, strides ${this.stride}, padding '${this.padding}'`;
  }
}
