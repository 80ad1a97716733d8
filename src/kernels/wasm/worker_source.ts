/**
 * Source of a kernel worker, run from a string (Node: `eval: true`; browsers: a Blob URL) so that
 * no worker file has to be located next to the compiled or bundled module. A worker instantiates
 * the shared kernels, says 'ready', then loops: sleep on the generation word, run its share of
 * the job described in the parameter block, count itself done, wake the main thread.
 * Control words (int32 indices into ctrl): 0 generation, 1 done count, 2 thread count, 3 params,
 * 4 failed shares (one bit per thread), 5 always 0 (for pauses).
 *
 * Before sleeping, a worker watches the generation word for SPIN_MS: a training step publishes
 * dozens of kernels with a little JavaScript between them, and waking a sleeping thread takes
 * tens of microseconds (more inside a virtual machine), as long as a small kernel itself.
 */
/** How long an idle worker keeps watching for the next kernel before it sleeps. */
export const SPIN_MS = 2;

/** Int32 control words the pool uses (the engine reserves 16). */
export const CONTROL_WORDS = 8;

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
  const ctrl = new Int32Array(memory.buffer, ctrlIndex * 4, ${CONTROL_WORDS});
  // A share that throws is run once more after a pause; if it fails again, this worker sets its
  // bit in the failure word and the main thread runs the share itself (see threads.ts). A kernel
  // can start before this thread has taken in memory that the main thread has just grown (V8
  // updates each thread's view of shared memory at that thread's next interrupt check), and its
  // bulk memory operations then trap; a moment later the same share runs.
  // Tests make the first attempts fail on purpose (CONVLAB_TEST_WORKER_FAULTS = how many).
  let faults = Number(typeof process !== 'undefined' && process.env && process.env.CONVLAB_TEST_WORKER_FAULTS || 0);
  const attempt = (params, nt) => {
    if (faults > 0) {
      faults--;
      throw new Error('fault injected by CONVLAB_TEST_WORKER_FAULTS');
    }
    run(params, tid, nt);
  };
  const runShare = (params, nt) => {
    try {
      attempt(params, nt);
      return;
    } catch (first) {
      Atomics.wait(ctrl, 5, 0, 1);
      try {
        attempt(params, nt);
        return;
      } catch (error) {
        Atomics.or(ctrl, 4, 1 << tid);
        console.error('convlab: wasm worker ' + tid + ' failed inside a kernel twice (' + String(error && error.message || error) + '); the main thread ran its share');
      }
    }
  };
  // Read the generation before saying 'ready': the main thread may publish the first job as
  // soon as it hears from us, and a worker that looked later would wait past that job.
  let generation = Atomics.load(ctrl, 0);
  post({ type: 'ready' });
  for (;;) {
    spinWhile(ctrl, 0, generation);
    Atomics.wait(ctrl, 0, generation);
    generation = Atomics.load(ctrl, 0);
    if (generation < 0) return;
    const nt = Atomics.load(ctrl, 2);
    if (tid < nt) runShare(Atomics.load(ctrl, 3), nt);
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
