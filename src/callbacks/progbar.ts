import { Callback, type Logs } from './callback.js';

/** Where progress goes: a terminal redraws in place, anything else gets whole lines. */
export interface ProgressSink {
  write(text: string): void;
  isTTY: boolean;
}

export function defaultSink(): ProgressSink {
  const stdout = (globalThis as { process?: { stdout?: { write(s: string): unknown; isTTY?: boolean } } }).process?.stdout;
  if (stdout) return { write: (s) => void stdout.write(s), isTTY: Boolean(stdout.isTTY) };
  let pending = '';
  return {
    isTTY: false,
    write: (s) => {
      pending += s;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) console.log(line);
    },
  };
}

export function formatValue(v: number): string {
  return Math.abs(v) > 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(4);
}

/** Keras writes elapsed time in whole seconds and the ETA as h:mm:ss / m:ss / Ns. */
function formatSeconds(seconds: number): string {
  return `${Math.round(seconds)}s`;
}

function formatEta(seconds: number): string {
  if (seconds >= 3600) return `${Math.floor(seconds / 3600)}:${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  return `${Math.round(seconds)}s`;
}

function formatPerStep(seconds: number): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/step`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/step`;
  return `${Math.round(seconds * 1e6)}us/step`;
}

function formatLogs(values: Logs): string {
  return Object.entries(values).map(([k, v]) => ` - ${k}: ${formatValue(v)}`).join('');
}

/**
 * Keras's progress bar: `1500/1500 [==============================] - 23s 15ms/step - loss: 0.2374`.
 * verbose 1 redraws in place on a terminal and prints one final line elsewhere; verbose 2 prints
 * only the final summary line, `1500/1500 - 23s - loss: ... - 23s/epoch - 15ms/step`.
 */
export class Progbar {
  private readonly start = now();
  private lastDraw = 0;
  private lastWidth = 0;

  constructor(readonly target: number, readonly verbose: number = 1, readonly sink: ProgressSink = defaultSink(), readonly width = 30) {}

  update(current: number, values: Logs = {}, finalize = current >= this.target): void {
    if (this.verbose === 0) return;
    const elapsed = (now() - this.start) / 1000;
    if (this.verbose === 2) {
      if (!finalize) return;
      const perStep = current > 0 ? elapsed / current : 0;
      this.sink.write(`${this.target}/${this.target} - ${formatSeconds(elapsed)}${formatLogs(values)} - ${formatSeconds(elapsed)}/epoch - ${formatPerStep(perStep)}\n`);
      return;
    }
    if (!this.sink.isTTY && !finalize) return;
    // Redrawing a terminal line costs time too: at most every 50 ms except for the final line.
    if (!finalize && now() - this.lastDraw < 50) return;
    this.lastDraw = now();
    const digits = String(this.target).length;
    const filled = Math.floor((this.width * current) / Math.max(this.target, 1));
    let bar = '='.repeat(Math.max(filled - 1, 0));
    bar += current < this.target ? (filled > 0 ? '>' : '') : filled > 0 ? '=' : '';
    bar = `${String(current).padStart(digits)}/${this.target} [${bar.padEnd(this.width, '.')}]`;
    let line: string;
    if (finalize) {
      const perStep = current > 0 ? elapsed / current : 0;
      line = `${bar} - ${formatSeconds(elapsed)} ${formatPerStep(perStep)}${formatLogs(values)}`;
    } else {
      const eta = current > 0 ? (elapsed / current) * (this.target - current) : 0;
      line = `${bar} - ETA: ${formatEta(eta)}${formatLogs(values)}`;
    }
    const padding = this.sink.isTTY && line.length < this.lastWidth ? ' '.repeat(this.lastWidth - line.length) : '';
    this.lastWidth = line.length;
    this.sink.write(`${this.sink.isTTY ? '\r' : ''}${line}${padding}${finalize ? '\n' : ''}`);
  }
}

function now(): number {
  return globalThis.performance ? performance.now() : Date.now();
}

/** Prints `Epoch i/n` and a Progbar per epoch during fit. */
export class ProgbarLogger extends Callback {
  private bar: Progbar | null = null;
  private seen = 0;

  constructor(private readonly verbose = 1, private readonly sink: ProgressSink = defaultSink()) {
    super();
  }

  override onEpochBegin(epoch: number): void {
    if (this.verbose === 0) return;
    this.sink.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
    this.bar = new Progbar(this.params.steps, this.verbose, this.sink);
    this.seen = 0;
  }

  override onBatchEnd(batch: number, logs: Logs = {}): void {
    this.seen = batch + 1;
    if (this.seen < this.params.steps) this.bar?.update(this.seen, pickMetrics(logs), false);
  }

  override onEpochEnd(_epoch: number, logs: Logs = {}): void {
    // As Keras: the final bar shows the batches that ran (fewer when training was stopped).
    this.bar?.update(this.seen > 0 ? this.seen : this.params.steps, pickMetrics(logs), true);
  }
}

function pickMetrics(logs: Logs): Logs {
  const out: Logs = {};
  for (const [k, v] of Object.entries(logs)) if (k !== 'batch' && k !== 'size') out[k] = v;
  return out;
}
