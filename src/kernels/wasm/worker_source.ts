/**
 * Source of a kernel worker, run from a string (Node: `eval: true`; browsers: a Blob URL) so that
 * no worker file has to be located next to the compiled or bundled module. A worker instantiates
 * the shared kernels, says 'ready', then loops: sleep on the generation word, then claim shares
 * of the job described in the parameter block, one at a time, until none is left.
 *
 * A job is cut into a fixed number of shares (fixed by the shapes and the thread count, so
 * results are too), and every thread, the main one included, claims the next unclaimed share
 * until none is left. A thread that is slow or descheduled (other processes, and V8's own
 * background threads, want cores too) then costs only the share it holds, and one that has not
 * woken yet costs nothing: the main thread waits only for shares that were claimed.
 *
 * Control words (int32 indices into ctrl): 0 generation, 1 shares completed by workers,
 * 2 thread count, 3 params, 4 claim word, 5 always 0 (for pauses), 6-7 failed shares (a bit
 * each). The claim word packs the job's generation (low 18 bits, so a worker that read an old
 * generation cannot claim from a newer job), the share count and the next share:
 * tag << 14 | shares << 7 | next.
 *
 * Before sleeping, a worker watches the generation word for SPIN_MS: a training step publishes
 * dozens of kernels with a little JavaScript between them, and waking a sleeping thread takes
 * tens of microseconds (more inside a virtual machine), as long as a small kernel itself.
 */
/** How long an idle worker keeps watching for the next kernel before it sleeps. */
export const SPIN_MS = 2;

/** Int32 control words the pool uses (the engine reserves 16). */
export const CONTROL_WORDS = 8;

/** Most shares a job may have (the claim word and failure bits have room for 64). */
export const MAX_SHARES = 64;

/** The claim word of a job: see above. */
export function claimWord(generation: number, shares: number): number {
  return ((generation & 0x3ffff) << 14) | (shares << 7);
}

/**
 * Claims the next share of the job with this generation: its index, or -1 when every share is
 * taken or a newer job has replaced it. Also run by the workers, from its source text.
 */
export function claimShare(ctrl: Int32Array, generation: number): number {
  for (;;) {
    const word = Atomics.load(ctrl, 4);
    if (word >>> 14 !== (generation & 0x3ffff)) return -1;
    const next = word & 127;
    if (next >= ((word >>> 7) & 127)) return -1;
    if (Atomics.compareExchange(ctrl, 4, word, word + 1) === word) return next;
  }
}

export const WORKER_SOURCE = `
'use strict';
const SPIN_MS = ${SPIN_MS};
const claimShare = ${claimShare.toString()};
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
  // A share that throws is run once more after a pause; if it fails again, this worker sets the
  // share's bit in the failure words and the main thread runs the share itself (threads.ts). A
  // kernel can start before this thread has taken in memory that the main thread has just grown
  // (V8 updates each thread's view of shared memory at that thread's next interrupt check), and
  // its bulk memory operations then trap; a moment later the same share runs.
  // Tests make the first attempts fail on purpose (CONVLAB_TEST_WORKER_FAULTS = how many).
  let faults = Number(typeof process !== 'undefined' && process.env && process.env.CONVLAB_TEST_WORKER_FAULTS || 0);
  const attempt = (share, shares) => {
    if (faults > 0) {
      faults--;
      throw new Error('fault injected by CONVLAB_TEST_WORKER_FAULTS');
    }
    run(Atomics.load(ctrl, 3), share, shares, tid);
  };
  const runShare = (share, shares) => {
    try {
      attempt(share, shares);
      return;
    } catch (first) {
      Atomics.wait(ctrl, 5, 0, 1);
      try {
        attempt(share, shares);
        return;
      } catch (error) {
        Atomics.or(ctrl, 6 + (share >> 5), 1 << (share & 31));
        console.error('convlab: wasm worker ' + tid + ' failed inside a kernel twice (' + String(error && error.message || error) + '); the main thread ran its share');
      }
    }
  };
  // Tests: end this worker once it holds a share, as a crash inside a kernel would.
  const exitInKernel = typeof process !== 'undefined' && process.env && process.env.CONVLAB_TEST_WORKER_EXIT_IN_KERNEL === '1';
  // Read the generation before saying 'ready': the main thread may publish the first job as
  // soon as it hears from us, and a worker that looked later would wait past that job.
  let generation = Atomics.load(ctrl, 0);
  post({ type: 'ready' });
  for (;;) {
    spinWhile(ctrl, 0, generation);
    Atomics.wait(ctrl, 0, generation);
    generation = Atomics.load(ctrl, 0);
    if (generation < 0) return;
    if (tid >= Atomics.load(ctrl, 2)) continue;
    for (let share = claimShare(ctrl, generation); share >= 0; share = claimShare(ctrl, generation)) {
      if (exitInKernel) process.exit(1);
      // The share count is in the claim word, which this claim has just shown to be this job's.
      runShare(share, (Atomics.load(ctrl, 4) >>> 7) & 127);
      Atomics.add(ctrl, 1, 1);
      Atomics.notify(ctrl, 1);
    }
  }
}
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  const wt = require('node:worker_threads');
  start(wt.workerData, (m) => wt.parentPort.postMessage(m));
} else {
  self.onmessage = (event) => start(event.data, (m) => self.postMessage(m));
}
`;
