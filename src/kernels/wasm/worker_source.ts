/**
 * Source of a kernel worker, run from a string (Node: `eval: true`; browsers: a Blob URL) so that
 * no worker file has to be located next to the compiled or bundled module. A worker instantiates
 * the shared kernels, says 'ready', then loops: sleep on the generation word, run its share of
 * the job described in the parameter block, count itself done, wake the main thread.
 * Control words (int32 indices into ctrl): 0 generation, 1 done count, 2 thread count, 3 params.
 *
 * Before sleeping, a worker watches the generation word for SPIN_MS: a training step publishes
 * dozens of kernels with a little JavaScript between them, and waking a sleeping thread takes
 * tens of microseconds (more inside a virtual machine), as long as a small kernel itself.
 */
/** How long an idle worker keeps watching for the next kernel before it sleeps. */
export const SPIN_MS = 2;

export const WORKER_SOURCE = `
'use strict';
const SPIN_MS = ${SPIN_MS};
function spinWhile(words, index, value) {
  const until = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(words, index) === value; i++) {
    if ((i & 1023) === 0 && performance.now() > until) return;
  }
}
function start(data, post) {
  const { module, memory, tid, ctrlIndex } = data;
  let instance;
  try {
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch (error) {
    post({ type: 'error', message: String(error && error.message || error) });
    return;
  }
  const run = instance.exports.run;
  // Read the generation before saying 'ready': the main thread may publish the first job as
  // soon as it hears from us, and a worker that looked later would wait past that job.
  let ctrl = new Int32Array(memory.buffer, ctrlIndex * 4, 4);
  let generation = Atomics.load(ctrl, 0);
  post({ type: 'ready' });
  for (;;) {
    spinWhile(ctrl, 0, generation);
    Atomics.wait(ctrl, 0, generation);
    generation = Atomics.load(ctrl, 0);
    if (generation < 0) return;
    const nt = Atomics.load(ctrl, 2);
    if (tid < nt) run(Atomics.load(ctrl, 3), tid, nt);
    Atomics.add(ctrl, 1, 1);
    Atomics.notify(ctrl, 1);
  }
}
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  const wt = require('node:worker_threads');
  start(wt.workerData, (m) => wt.parentPort.postMessage(m));
} else {
  self.onmessage = (event) => start(event.data, (m) => self.postMessage(m));
}
`;
