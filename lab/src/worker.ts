/**
 * The training worker: builds the model from its spec, trains it with convlab on the fastest
 * backend that works here, and posts progress from Keras callbacks. fit yields to the event
 * loop between batches, which is when a 'stop' message gets through.
 */
import { getBackend, listBackends, optimizers, setBackend, setSeed, tensor, type Sequential } from '../../src/index.js';
import { buildModel } from './model_spec.js';
import type { BackendInfo, FromWorker, SplitData, ToWorker } from './protocol.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker, transfer?: Transferable[]): void;
  crossOriginIsolated?: boolean;
  navigator: { hardwareConcurrency?: number };
}
const scope = self as unknown as WorkerScope;

let model: Sequential | null = null;
let backendInfo: BackendInfo | null = null;
/** Progress messages are throttled: the page redraws charts, no need for one per batch. */
const PROGRESS_EVERY_MS = 120;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

type WasmModule = typeof import('../../src/kernels/wasm/index.js');
let wasm: WasmModule | null = null;
let loadNote = '';

/** Importing the module registers 'wasm'; loaded lazily so a failure leaves the reference backend. */
async function loadWasm(): Promise<void> {
  if (wasm || loadNote) return;
  try {
    wasm = await import('../../src/kernels/wasm/index.js');
  } catch (err) {
    loadNote = `the WebAssembly backend could not be loaded (${(err as Error).message})`;
  }
}

function describeBackend(note: string): BackendInfo {
  const backend = getBackend();
  let detail = 'plain JavaScript, one thread';
  if (backend === 'wasm' && wasm) {
    const info = wasm.wasmInfo();
    detail = `WebAssembly SIMD${info.relaxedSimd ? ' (relaxed)' : ''}, ${info.threads} thread${info.threads === 1 ? '' : 's'}${info.sharedMemory ? ' on shared memory' : ''}`;
  }
  return {
    backend,
    available: listBackends(),
    crossOriginIsolated: Boolean(scope.crossOriginIsolated),
    threads: scope.navigator.hardwareConcurrency ?? 1,
    detail,
    note,
  };
}

/** Switches backend; on failure stays on (or returns to) the reference backend and says why. */
async function useBackend(name: string): Promise<BackendInfo> {
  await loadWasm();
  if (!listBackends().includes(name)) return describeBackend(loadNote || `no '${name}' backend is registered in this build`);
  try {
    await setBackend(name);
    return describeBackend(name === 'wasm' ? '' : `chosen by hand; 'wasm' is faster where available`);
  } catch (err) {
    await setBackend('reference');
    return describeBackend(`the ${name} backend failed to start (${(err as Error).message}); using the reference backend`);
  }
}

/** uint8 NHWC pixels → float32 in [0, 1], as the lab divides by 255. */
function toInputs(split: SplitData, rows: number, cols: number, channels: number) {
  const x = new Float32Array(split.images.length);
  for (let i = 0; i < x.length; i++) x[i] = split.images[i] / 255;
  return { x: tensor(x, [split.count, rows, cols, channels], 'float32'), y: tensor(split.labels, [split.count], 'uint8') };
}

type TrainMessage = Extract<ToWorker, { type: 'train' }>;

async function train(msg: TrainMessage): Promise<void> {
  const { spec, params, train: trainData, test: testData, rows, cols } = msg;
  const channels = msg.channels ?? 1;
  setSeed(params.seed);
  model = buildModel(spec);
  model.compile({ optimizer: optimizers[params.optimizer]({ learningRate: params.learningRate }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const { x, y } = toInputs(trainData, rows, cols, channels);
  // Validation images chosen by the page (a seeded split, maybe none), or Keras's validation_split.
  const validation = msg.validation && msg.validation.count > 0 ? toInputs(msg.validation, rows, cols, channels) : null;
  const validationArgs = msg.validation ? (validation ? { validationData: [validation.x, validation.y] as [typeof x, typeof y] } : {}) : { validationSplit: params.validationSplit };
  const trainCount = msg.validation ? trainData.count : Math.floor(trainData.count * (1 - params.validationSplit));
  const current = model;
  let epoch = 0;
  let steps = 0;
  let lastPost = 0;
  let stepsDone = 0;
  let samplesDone = 0;
  let stepMs = 0;
  let batchStart = 0;
  const started = performance.now();
  await current.fit(x, y, {
    epochs: params.epochs,
    batchSize: params.batchSize,
    ...validationArgs,
    verbose: 0,
    callbacks: {
      onTrainBegin: () => { steps = Math.ceil(trainCount / params.batchSize); },
      onEpochBegin: (e) => { epoch = e; },
      onBatchBegin: () => { batchStart = performance.now(); },
      onBatchEnd: (batch, logs) => {
        stepMs += performance.now() - batchStart;
        stepsDone++;
        samplesDone += logs?.size ?? 0;
        const now = performance.now();
        if (now - lastPost < PROGRESS_EVERY_MS && batch + 1 < steps) return;
        lastPost = now;
        post({ type: 'progress', epoch, epochs: params.epochs, batch: batch + 1, steps, loss: logs?.loss ?? NaN, accuracy: logs?.accuracy ?? NaN, elapsedMs: now - started });
      },
      onEpochEnd: (e, logs) => {
        post({ type: 'epoch', epoch: e, loss: logs?.loss ?? NaN, accuracy: logs?.accuracy ?? NaN, valLoss: logs?.val_loss, valAccuracy: logs?.val_accuracy });
      },
    },
  });
  // Only the training steps are timed (forward, backward, update), not validation or yields,
  // so the figure compares directly with Node's.
  const trainMs = stepMs;
  const stopped = current.stopTraining;
  let testLoss = NaN;
  let testAccuracy = NaN;
  let testProbs: Float32Array = new Float32Array(0);
  if (testData.count > 0) {
    post({ type: 'evaluating' });
    const test = toInputs(testData, rows, cols, channels);
    [testLoss, testAccuracy] = current.evaluate(test.x, test.y, { batchSize: 256, verbose: 0 });
    testProbs = current.predict(test.x, { batchSize: 256 }).data as Float32Array;
  }
  const weights = current.getWeights().map((w) => ({ shape: [...w.shape], data: Float32Array.from(w.data as Float32Array) }));
  post(
    {
      type: 'done', stopped, weights, testLoss, testAccuracy, testProbs,
      timing: { steps: stepsDone, samples: samplesDone, trainMs, msPerStep: trainMs / Math.max(stepsDone, 1), samplesPerSec: samplesDone / (trainMs / 1000) },
    },
    [testProbs.buffer, ...weights.map((w) => w.data.buffer)],
  );
}

scope.onmessage = (e: MessageEvent<ToWorker>) => {
  const msg = e.data;
  if (msg.type === 'stop') {
    if (model) model.stopTraining = true;
    return;
  }
  const run = async () => {
    if (msg.type === 'init') {
      // The fastest first: WebAssembly (threaded when the page is cross-origin isolated).
      backendInfo ??= await useBackend('wasm');
      post({ type: 'ready', ...backendInfo });
    } else if (msg.type === 'backend') {
      backendInfo = await useBackend(msg.name);
      post({ type: 'ready', ...backendInfo });
    } else if (msg.type === 'train') {
      backendInfo ??= await useBackend('wasm');
      await train(msg);
    }
  };
  run().catch((err: unknown) => post({ type: 'error', message: err instanceof Error ? err.message : String(err) }));
};
