/**
 * Section 3: presets and editable layers; the Keras summary (shapes, parameter counts) is the
 * library's own and updates on every change.
 */
import type { Sequential } from '../../src/index.js';
import { resetNames } from '../../src/layers/layer.js';
import { h, labeled, select } from './dom.js';
import { LAYER_TYPES, PRESETS, buildModel, cloneSpec, defaultLayer, trainability, type LayerSpec, type LayerType, type ModelSpec } from './model_spec.js';

export interface BuiltModel {
  spec: ModelSpec;
  model: Sequential | null;
  /** Why this model cannot be trained here (or built at all), or null. */
  problem: string | null;
}

const ACTIVATIONS: [string, string][] = [['relu', 'relu'], ['tanh', 'tanh'], ['sigmoid', 'sigmoid'], ['softmax', 'softmax'], ['linear', 'linear']];
const PADDINGS: [string, string][] = [['valid', 'valid'], ['same', 'same']];

/** Builds with fresh layer names, so the summary reads conv2d, dense, dense_1 as in a new Keras session. */
export function buildFresh(spec: ModelSpec): Sequential {
  resetNames();
  return buildModel(spec);
}

export class ModelBuilder {
  private spec: ModelSpec = cloneSpec(PRESETS.lab.spec);
  private listeners: ((b: BuiltModel) => void)[] = [];
  private current: BuiltModel = { spec: this.spec, model: null, problem: 'not built' };
  private readonly list = h('div', { class: 'layers', id: 'model-layers' });
  private readonly summary = h('pre', { class: 'summary', id: 'model-summary' });
  private readonly error = h('p', { class: 'error', id: 'model-error', hidden: true });
  private readonly presetSelect: HTMLSelectElement;
  private readonly shapeInputs = [0, 1, 2].map((i) => h('input', { type: 'number', min: 1, id: `model-shape-${i}`, 'aria-label': ['height', 'width', 'channels'][i] }));

  constructor(root: HTMLElement, private readonly numClasses: number) {
    this.presetSelect = select([...Object.entries(PRESETS).map(([k, p]): [string, string] => [k, p.label]), ['custom', 'Custom']], 'lab', (v) => {
      if (v !== 'custom') { this.spec = cloneSpec(PRESETS[v].spec); this.changed(false); }
    }, { id: 'model-preset' });
    this.shapeInputs.forEach((inp, i) => inp.addEventListener('change', () => {
      const v = Math.trunc(Number(inp.value));
      this.spec.inputShape[i] = Number.isFinite(v) && v > 0 ? v : 1;
      this.changed(true);
    }));
    const addSelect = select(LAYER_TYPES.map((t): [string, string] => [t.type, t.label]), 'conv2d', () => {}, { id: 'model-add-type' });
    root.append(
      h('h2', {}, '3 · Model'),
      h('p', { class: 'lead' }, 'Stack layers as in keras.Sequential. The summary below is convlab’s model.summary(): compare the parameter counts of the CNN and the MLP (Desafio 1) and the shapes before and after pooling (Desafio 2).'),
      h('div', { class: 'row' },
        h('div', { class: 'panel sub' },
          h('div', { class: 'controls' },
            labeled('Preset', this.presetSelect),
            labeled('Input height', this.shapeInputs[0]),
            labeled('width', this.shapeInputs[1]),
            labeled('channels', this.shapeInputs[2]),
          ),
          this.list,
          h('div', { class: 'controls' }, labeled('Add layer', addSelect), h('button', { id: 'model-add', onclick: () => { this.spec.layers.push(defaultLayer(addSelect.value as LayerType)); this.changed(true); } }, '+ Add')),
          this.compareTable(),
        ),
        h('div', { class: 'panel sub' }, h('h3', {}, 'model.summary()'), this.summary, this.error),
      ),
    );
    this.changed(false);
  }

  onChange(listener: (b: BuiltModel) => void): void {
    this.listeners.push(listener);
    listener(this.current);
  }

  get built(): BuiltModel {
    return this.current;
  }

  private compareTable(): HTMLElement {
    const rows = Object.values(PRESETS).map((p) => {
      const m = buildFresh(p.spec);
      const shapes = m.outputShapes().map((s) => `(${s.map((d) => d ?? 'None').join(', ')})`);
      return h('tr', {}, h('td', {}, p.label), h('td', {}, m.countParams().toLocaleString('en-US')), h('td', {}, shapes[shapes.length - 2] ?? ''));
    });
    return h('div', {}, h('h3', {}, 'Presets side by side'),
      h('table', { class: 'compare', id: 'model-compare' }, h('tr', {}, h('th', {}, 'Model'), h('th', {}, 'Total params'), h('th', {}, 'Shape before the last layer')), ...rows));
  }

  private changed(custom: boolean): void {
    if (custom) this.presetSelect.value = 'custom';
    this.shapeInputs.forEach((inp, i) => { inp.value = String(this.spec.inputShape[i]); });
    this.renderLayers();
    let model: Sequential | null = null;
    let problem: string | null = null;
    try {
      model = buildFresh(this.spec);
      const lines: string[] = [];
      model.summary((l) => lines.push(l));
      this.summary.textContent = lines.join('\n');
      problem = trainability(this.spec, model, this.numClasses);
      this.error.hidden = true;
    } catch (err) {
      problem = (err as Error).message;
      this.summary.textContent = '';
      this.error.hidden = false;
      this.error.textContent = problem;
    }
    this.current = { spec: cloneSpec(this.spec), model, problem };
    for (const l of this.listeners) l(this.current);
  }

  private renderLayers(): void {
    this.list.replaceChildren(...this.spec.layers.map((layer, i) => this.layerRow(layer, i)));
  }

  private layerRow(layer: LayerSpec, index: number): HTMLElement {
    const set = (key: string, value: string | number) => { (layer as unknown as Record<string, string | number>)[key] = value; this.changed(true); };
    const num = (key: string, label: string, min: number, step = 1) => h('label', {}, label, (() => {
      const el = h('input', { type: 'number', min, step, value: String((layer as unknown as Record<string, number>)[key]), 'data-field': key });
      el.addEventListener('change', () => {
        const v = Number(el.value);
        if (Number.isFinite(v) && v >= min) set(key, step === 1 ? Math.trunc(v) : v);
        else el.value = String((layer as unknown as Record<string, number>)[key]);
      });
      return el;
    })());
    const choice = (key: string, label: string, options: [string, string][]) => h('label', {}, label, select(options, String((layer as unknown as Record<string, string>)[key]), (v) => set(key, v), { 'data-field': key }));
    const fields: HTMLElement[] = [];
    switch (layer.type) {
      case 'conv2d': fields.push(num('filters', 'filters', 1), num('kernelSize', 'kernel', 1), num('strides', 'strides', 1), choice('padding', 'padding', PADDINGS), choice('activation', 'activation', ACTIVATIONS)); break;
      case 'maxPooling2d':
      case 'averagePooling2d': fields.push(num('poolSize', 'pool', 1), num('strides', 'strides', 1), choice('padding', 'padding', PADDINGS)); break;
      case 'dense': fields.push(num('units', 'units', 1), choice('activation', 'activation', ACTIVATIONS)); break;
      case 'dropout': fields.push(num('rate', 'rate', 0, 0.05)); break;
      default: break;
    }
    const move = (to: number) => {
      if (to < 0 || to >= this.spec.layers.length) return;
      const [l] = this.spec.layers.splice(index, 1);
      this.spec.layers.splice(to, 0, l);
      this.changed(true);
    };
    return h('div', { class: 'layer-row', 'data-index': index },
      h('span', { class: 'name' }, `${index + 1}. ${LAYER_TYPES.find((t) => t.type === layer.type)?.label ?? layer.type}`),
      ...fields,
      h('span', { style: 'margin-left:auto; display:flex; gap:4px' },
        h('button', { title: 'move up', onclick: () => move(index - 1) }, '↑'),
        h('button', { title: 'move down', onclick: () => move(index + 1) }, '↓'),
        h('button', { class: 'danger', title: 'remove', onclick: () => { this.spec.layers.splice(index, 1); this.changed(true); } }, '✕')),
    );
  }
}
