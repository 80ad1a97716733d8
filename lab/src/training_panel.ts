/**
 * Section 4: trains the builder's model on Fashion-MNIST in a Web Worker. The page only draws:
 * progress arrives as messages, so it stays responsive; Stop sets model.stopTraining there.
 */
import { TrainingChart } from './charts.js';
import type { LabDataset } from './dataset_format.js';
import { h, labeled, numberInput, select } from './dom.js';
import type { ModelBuilder } from './model_builder.js';
import type { ModelSpec } from './model_spec.js';
import type { BackendInfo, FromWorker, ToWorker, TrainParams } from './protocol.js';

export interface TrainedResult {
  spec: ModelSpec;
  weights: { shape: number[]; data: Float32Array }[];
  testLoss: number;
  testAccuracy: number;
  testProbs: Float32Array;
  stopped: boolean;
}

export class TrainingPanel {
  private worker: Worker;
  private params: TrainParams = { epochs: 3, batchSize: 32, learningRate: 0.001, optimizer: 'adam', validationSplit: 0.2, seed: 42 };
  private samples: number;
  private training = false;
  private spec: ModelSpec | null = null;
  private listeners: ((r: TrainedResult) => void)[] = [];
  private readonly lossChart: TrainingChart;
  private readonly accChart: TrainingChart;
  private readonly trainButton = h('button', { class: 'primary', id: 'train-start' }, 'Train');
  private readonly stopButton = h('button', { class: 'danger', id: 'train-stop', disabled: true }, 'Stop');
  private readonly status = h('div', { class: 'train-status', id: 'train-status' }, 'Waiting for the worker…');
  private readonly bar = h('div');
  private readonly problem = h('p', { class: 'error', hidden: true, id: 'train-problem' });
  private readonly speed = h('p', { class: 'note', id: 'train-speed' });
  private readonly backendLine = h('p', { class: 'note', id: 'train-backend-line' });
  private readonly backendSelect = select([['reference', 'reference']], 'reference', (v) => { this.backendSelect.disabled = true; this.send({ type: 'backend', name: v }); }, { id: 'train-backend' });

  constructor(root: HTMLElement, private readonly data: LabDataset, builder: ModelBuilder, private readonly onBackend: (info: BackendInfo) => void) {
    this.samples = Math.min(5000, data.train.count);
    const sampleOptions = [1000, 2000, 5000, 10000, 20000, 60000].filter((n) => n <= data.train.count);
    if (!sampleOptions.includes(data.train.count)) sampleOptions.push(data.train.count);
    const chartRow = h('div', { class: 'charts' });
    const lossRoot = h('div', { class: 'chart', id: 'chart-loss' });
    const accRoot = h('div', { class: 'chart', id: 'chart-accuracy' });
    chartRow.append(lossRoot, accRoot);
    root.append(
      h('h2', {}, '4 · Training'),
      h('p', { class: 'lead' }, 'model.fit() on Fashion-MNIST pixels / 255, with sparse categorical cross-entropy and accuracy, as in the lab. It runs in a Web Worker: scroll, draw and explore while it trains.'),
      h('div', { class: 'controls' },
        labeled('Training images', select(sampleOptions.map((n): [string, string] => [String(n), n.toLocaleString('en-US')]), String(this.samples), (v) => { this.samples = Number(v); }, { id: 'train-samples' })),
        labeled('Epochs', numberInput(this.params.epochs, { min: 1, max: 50, id: 'train-epochs' }, (v) => { this.params.epochs = clampInt(v, 1, 50); })),
        labeled('Batch size', select(['16', '32', '64', '128', '256'].map((v): [string, string] => [v, v]), '32', (v) => { this.params.batchSize = Number(v); }, { id: 'train-batch' })),
        labeled('Optimizer', select([['adam', 'Adam'], ['sgd', 'SGD'], ['rmsprop', 'RMSprop']], 'adam', (v) => { this.params.optimizer = v as TrainParams['optimizer']; }, { id: 'train-optimizer' })),
        labeled('Learning rate', numberInput(this.params.learningRate, { min: 0.00001, max: 1, step: 0.0001, id: 'train-lr' }, (v) => { this.params.learningRate = v > 0 && v <= 1 ? v : 0.001; })),
        labeled('validation_split', numberInput(this.params.validationSplit, { min: 0, max: 0.5, step: 0.05, id: 'train-val' }, (v) => { this.params.validationSplit = v >= 0 && v <= 0.5 ? v : 0.2; })),
        labeled('Backend', this.backendSelect),
        labeled('Seed', numberInput(this.params.seed, { min: 0, step: 1, id: 'train-seed' }, (v) => { this.params.seed = clampInt(v, 0, 2 ** 31 - 1); })),
        this.trainButton,
        this.stopButton,
      ),
      this.problem,
      this.status,
      h('div', { class: 'progress' }, this.bar),
      chartRow,
      this.speed,
      this.backendLine,
    );
    this.lossChart = new TrainingChart(lossRoot, 'Loss', false);
    this.accChart = new TrainingChart(accRoot, 'Accuracy', true);
    this.trainButton.addEventListener('click', () => this.start());
    this.stopButton.addEventListener('click', () => this.send({ type: 'stop' }));
    builder.onChange((b) => {
      this.spec = b.problem ? null : b.spec;
      this.problem.hidden = !b.problem;
      this.problem.textContent = b.problem ? `This model cannot be trained here: ${b.problem}` : '';
      this.trainButton.disabled = this.training || !this.spec;
    });
    this.worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.receive(e.data);
    this.worker.onerror = (e) => this.fail(`The training worker failed: ${e.message || 'unknown error'}`);
    this.send({ type: 'init' });
  }

  onTrained(listener: (r: TrainedResult) => void): void {
    this.listeners.push(listener);
  }

  private send(message: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private start(): void {
    if (!this.spec || this.training) return;
    const n = Math.min(this.samples, this.data.train.count);
    const px = this.data.rows * this.data.cols;
    // Copies, transferred: the worker owns its data and the page keeps its own.
    const train = { images: this.data.train.images.slice(0, n * px), labels: this.data.train.labels.slice(0, n), count: n };
    const test = { images: this.data.test.images.slice(), labels: this.data.test.labels.slice(), count: this.data.test.count };
    this.lossChart.reset();
    this.accChart.reset();
    this.setTraining(true);
    this.status.textContent = `Starting: ${n.toLocaleString('en-US')} images, ${Math.round(n * (1 - this.params.validationSplit)).toLocaleString('en-US')} for training and the rest for validation…`;
    const spec = this.spec;
    this.trainingSpec = spec;
    this.send({ type: 'train', spec, params: { ...this.params }, train, test, rows: this.data.rows, cols: this.data.cols }, [train.images.buffer, train.labels.buffer, test.images.buffer, test.labels.buffer]);
  }

  private trainingSpec: ModelSpec | null = null;

  private setTraining(on: boolean): void {
    this.training = on;
    this.trainButton.disabled = on || !this.spec;
    this.stopButton.disabled = !on;
    this.backendSelect.disabled = on;
    document.body.dataset.training = on ? 'yes' : 'no';
  }

  private receive(msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        this.onBackend(msg);
        this.backendSelect.replaceChildren(...msg.available.map((b) => h('option', { value: b }, b)));
        this.backendSelect.value = msg.backend;
        this.backendSelect.disabled = this.training;
        this.backendLine.textContent = `Training runs in a Web Worker on convlab's '${msg.backend}' backend: ${msg.detail}${msg.crossOriginIsolated ? '; the page is cross-origin isolated' : '; the page is not cross-origin isolated, so one thread'}.${msg.note ? ` (${msg.note})` : ''}`;
        this.status.textContent = 'Ready. Pick the settings and press Train.';
        break;
      case 'progress': {
        const x = msg.epoch + msg.batch / msg.steps;
        this.lossChart.addTrain(x, msg.loss);
        this.accChart.addTrain(x, msg.accuracy);
        const done = (msg.epoch * msg.steps + msg.batch) / (msg.epochs * msg.steps);
        this.bar.style.width = `${(100 * done).toFixed(1)}%`;
        this.status.textContent = `Epoch ${msg.epoch + 1}/${msg.epochs} · batch ${msg.batch}/${msg.steps} · loss ${msg.loss.toFixed(4)} · accuracy ${(msg.accuracy * 100).toFixed(1)}% · ${(msg.elapsedMs / 1000).toFixed(1)} s`;
        break;
      }
      case 'epoch':
        if (msg.valLoss !== undefined) this.lossChart.addValidation(msg.epoch + 1, msg.valLoss);
        if (msg.valAccuracy !== undefined) this.accChart.addValidation(msg.epoch + 1, msg.valAccuracy);
        break;
      case 'evaluating':
        this.status.textContent = `Evaluating on the ${this.data.test.count.toLocaleString('en-US')} test images…`;
        break;
      case 'done': {
        this.setTraining(false);
        this.bar.style.width = '100%';
        const t = msg.timing;
        this.status.textContent = `${msg.stopped ? 'Stopped' : 'Done'} · test accuracy ${(msg.testAccuracy * 100).toFixed(2)}% · test loss ${msg.testLoss.toFixed(4)}`;
        this.speed.textContent = `Speed: ${t.msPerStep.toFixed(1)} ms per training step (batch ${this.params.batchSize}), ${Math.round(t.samplesPerSec).toLocaleString('en-US')} images/s over ${t.steps} steps (forward, backward and update only).`;
        this.speed.dataset.msPerStep = t.msPerStep.toFixed(3);
        if (this.trainingSpec) {
          const result: TrainedResult = { spec: this.trainingSpec, weights: msg.weights, testLoss: msg.testLoss, testAccuracy: msg.testAccuracy, testProbs: msg.testProbs, stopped: msg.stopped };
          for (const l of this.listeners) l(result);
        }
        break;
      }
      case 'error':
        this.fail(msg.message);
        break;
    }
  }

  private fail(message: string): void {
    this.setTraining(false);
    this.status.textContent = '';
    this.problem.hidden = false;
    this.problem.textContent = message;
  }
}

function clampInt(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, Math.trunc(Number.isFinite(v) ? v : lo)));
}
