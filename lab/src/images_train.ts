/**
 * "Your images", part 2: training on the classes in a Web Worker (the same worker.ts as
 * section 4, its own instance, started on the first run), with the live loss and accuracy
 * charts. The validation split is Keras's seeded one (images_data.ts).
 */
import { TrainingChart } from './charts.js';
import { h, labeled, numberInput, select } from './dom.js';
import type { ClassesPanel } from './images_classes.js';
import { classProblem, splitSamples, CHANNELS, type ImageSettings } from './images_data.js';
import { IMAGE_MODELS, imageModelSpec, type ImageModelKind } from './images_model.js';
import type { ModelBuilder } from './model_builder.js';
import type { ModelSpec } from './model_spec.js';
import type { FromWorker, ToWorker, TrainParams } from './protocol.js';

export interface ImagesTrained {
  spec: ModelSpec;
  kind: ImageModelKind;
  weights: { shape: number[]; data: Float32Array }[];
  classNames: string[];
  settings: ImageSettings;
  params: TrainParams;
  counts: { training: number; validation: number };
  validation?: { loss: number; accuracy: number; samples: number };
  backend: string;
  seconds: number;
  stopped: boolean;
}

export class ImagesTrainer {
  private worker: Worker | null = null;
  private backend = '';
  private training = false;
  private kind: ImageModelKind = 'small-cnn';
  private readonly params: TrainParams = { epochs: 20, batchSize: 16, learningRate: 0.001, optimizer: 'adam', validationSplit: 0.15, seed: 42 };
  private listeners: ((r: ImagesTrained) => void)[] = [];
  private pending: Omit<ImagesTrained, 'weights' | 'stopped' | 'seconds' | 'backend'> | null = null;
  private lastEpoch: { valLoss?: number; valAccuracy?: number } = {};
  private started = 0;
  private readonly lossChart: TrainingChart;
  private readonly accChart: TrainingChart;
  private readonly trainButton = h('button', { class: 'primary', id: 'images-train' }, 'Train');
  private readonly stopButton = h('button', { class: 'danger', id: 'images-stop', disabled: true }, 'Stop');
  private readonly status = h('div', { class: 'train-status', id: 'images-train-status' }, 'Add pictures to at least two classes, then press Train.');
  private readonly problem = h('p', { class: 'error', id: 'images-train-problem', hidden: true });
  private readonly bar = h('div');

  constructor(readonly element: HTMLElement, private readonly classes: ClassesPanel, private readonly builder: ModelBuilder) {
    const lossRoot = h('div', { class: 'chart', id: 'images-chart-loss' });
    const accRoot = h('div', { class: 'chart', id: 'images-chart-accuracy' });
    element.append(
      h('div', { class: 'controls' },
        labeled('Model', select(IMAGE_MODELS.map((m): [string, string] => [m.kind, m.label]), this.kind, (v) => { this.kind = v as ImageModelKind; }, { id: 'images-model' })),
        labeled('Epochs', numberInput(this.params.epochs, { min: 1, max: 500, id: 'images-epochs' }, (v) => { this.params.epochs = clampInt(v, 1, 500); })),
        labeled('Batch size', select(['8', '16', '32', '64'].map((v): [string, string] => [v, v]), '16', (v) => { this.params.batchSize = Number(v); }, { id: 'images-batch' })),
        labeled('Learning rate', numberInput(this.params.learningRate, { min: 0.00001, max: 1, step: 0.0001, id: 'images-lr' }, (v) => { this.params.learningRate = v > 0 && v <= 1 ? v : 0.001; })),
        labeled('Validation split', numberInput(this.params.validationSplit, { min: 0, max: 0.5, step: 0.05, id: 'images-val' }, (v) => { this.params.validationSplit = v >= 0 && v <= 0.5 ? v : 0.15; })),
        labeled('Seed', numberInput(this.params.seed, { min: 0, step: 1, id: 'images-seed' }, (v) => { this.params.seed = clampInt(v, 0, 2 ** 31 - 1); })),
        this.trainButton,
        this.stopButton,
      ),
      this.problem,
      this.status,
      h('div', { class: 'progress' }, this.bar),
      h('div', { class: 'charts' }, lossRoot, accRoot),
    );
    this.lossChart = new TrainingChart(lossRoot, 'Loss', false);
    this.accChart = new TrainingChart(accRoot, 'Accuracy', true);
    this.trainButton.addEventListener('click', () => this.start());
    this.stopButton.addEventListener('click', () => this.worker?.postMessage({ type: 'stop' } satisfies ToWorker));
  }

  onTrained(listener: (r: ImagesTrained) => void): void {
    this.listeners.push(listener);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    worker.onerror = (e) => this.fail(`The training worker failed: ${e.message || 'unknown error'}`);
    worker.postMessage({ type: 'init' } satisfies ToWorker);
    this.worker = worker;
    return worker;
  }

  private start(): void {
    if (this.training) return;
    this.problem.hidden = true;
    const classes = this.classes.classes;
    const problem = this.classes.loading ? 'Images are still being read; wait for them' : classProblem(classes);
    if (problem) return this.fail(problem);
    const { size } = this.classes.settings;
    let spec: ModelSpec;
    try {
      spec = imageModelSpec(this.kind, size, classes.length, this.builder.built.spec);
    } catch (e) {
      return this.fail((e as Error).message);
    }
    const params = { ...this.params };
    const { train, validation } = splitSamples(classes, size, params.validationSplit, params.seed);
    if (train.count === 0) return this.fail('No images are left for training: lower the validation split or add images');
    this.pending = {
      spec, kind: this.kind, classNames: classes.map((c) => c.name.trim()), settings: { ...this.classes.settings }, params,
      counts: { training: train.count, validation: validation.count },
    };
    this.lastEpoch = {};
    this.lossChart.reset();
    this.accChart.reset();
    this.setTraining(true);
    this.status.textContent = `Starting: ${train.count} images for training, ${validation.count} for validation (seed ${params.seed})…`;
    this.started = performance.now();
    const test = { images: new Uint8Array(0), labels: new Uint8Array(0), count: 0 };
    this.ensureWorker().postMessage(
      { type: 'train', spec, params, train, test, validation, rows: size, cols: size, channels: CHANNELS } satisfies ToWorker,
      [train.images.buffer, train.labels.buffer, validation.images.buffer, validation.labels.buffer],
    );
  }

  private setTraining(on: boolean): void {
    this.training = on;
    this.trainButton.disabled = on;
    this.stopButton.disabled = !on;
    document.body.dataset.imagesTraining = on ? 'yes' : 'no';
  }

  private receive(msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        this.backend = `${msg.backend} (${msg.detail})`;
        break;
      case 'progress': {
        const x = msg.epoch + msg.batch / msg.steps;
        this.lossChart.addTrain(x, msg.loss);
        this.accChart.addTrain(x, msg.accuracy);
        this.bar.style.width = `${((100 * (msg.epoch * msg.steps + msg.batch)) / (msg.epochs * msg.steps)).toFixed(1)}%`;
        this.status.textContent = `Epoch ${msg.epoch + 1}/${msg.epochs} · loss ${msg.loss.toFixed(4)} · accuracy ${(msg.accuracy * 100).toFixed(1)}%${this.lastEpoch.valAccuracy !== undefined ? ` · validation accuracy ${(this.lastEpoch.valAccuracy * 100).toFixed(1)}%` : ''} · ${(msg.elapsedMs / 1000).toFixed(1)} s`;
        break;
      }
      case 'epoch':
        this.lastEpoch = { valLoss: msg.valLoss, valAccuracy: msg.valAccuracy };
        if (msg.valLoss !== undefined) this.lossChart.addValidation(msg.epoch + 1, msg.valLoss);
        if (msg.valAccuracy !== undefined) this.accChart.addValidation(msg.epoch + 1, msg.valAccuracy);
        break;
      case 'evaluating':
        break;
      case 'done': {
        this.setTraining(false);
        this.bar.style.width = '100%';
        const p = this.pending;
        if (!p) break;
        const { valLoss, valAccuracy } = this.lastEpoch;
        const validation = valLoss !== undefined && valAccuracy !== undefined ? { loss: valLoss, accuracy: valAccuracy, samples: p.counts.validation } : undefined;
        this.status.textContent = `${msg.stopped ? 'Stopped' : 'Done'} · ${p.counts.training} training images${validation ? ` · validation accuracy ${(validation.accuracy * 100).toFixed(1)}% on ${validation.samples} (loss ${validation.loss.toFixed(4)})` : ''}. Try it below.`;
        this.status.dataset.valAccuracy = validation ? String(validation.accuracy) : '';
        const result: ImagesTrained = { ...p, weights: msg.weights, stopped: msg.stopped, backend: this.backend, seconds: (performance.now() - this.started) / 1000, validation };
        for (const l of this.listeners) l(result);
        break;
      }
      case 'error':
        this.fail(msg.message);
        break;
    }
  }

  private fail(message: string): void {
    this.setTraining(false);
    this.problem.hidden = false;
    this.problem.textContent = message;
  }
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.trunc(Number.isFinite(v) ? v : lo)));
}
