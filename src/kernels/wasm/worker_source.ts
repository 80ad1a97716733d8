/**
 * Source of a kernel worker, run from a string (Node: `eval: true`; browsers: a Blob URL) so that
 * no worker file has to be located next to the compiled or bundled module. A worker instantiates
 * the shared kernels, says 'ready', then works through the kernel queue (threads.ts) in order.
 *
 * The main thread publishes kernel calls into a ring of QUEUE_SLOTS command slots and goes on
 * with its JavaScript (autograd, the next layer) while the workers run them. Each command is cut
 * into a fixed number of shares (fixed by the shapes and the thread count, so results are too),
 * and every thread claims the next unclaimed share until none is left. The main thread joins in
 * only when it needs results (engine.ts flush()). Commands run one after another: a thread that
 * has no share of command j left waits until j is complete before it touches j + 1, because j + 1
 * may read what j writes.
 *
 * The main thread claims shares from the front, workers from the back: with two threads each keeps
 * to its own end of every kernel's output, which the next kernel mostly reads at the same end, so
 * activations stay in the cache of the core that wrote them.
 *
 * Control words (int32 indices into ctrl): 0 stop (-1), 1 commands published, 2 commands
 * completed, 5 always 0 (for pauses). Both counts only grow (wrapping at 2^32). Each slot has a
 * header of HEADER_WORDS: 0 claim word, 1 shares done, 2 the command's thread count, 3-4 failed
 * shares (a bit each), 5 the share count. The claim word packs the command's tag (its index, low
 * 18 bits, so that a late thread cannot claim from the command that reuses the slot) and the
 * unclaimed shares [front, back): tag << 14 | back << 7 | front.
 *
 * Before sleeping, a worker watches for the next command for SPIN_MS: waking a sleeping thread
 * takes tens of microseconds (more inside a virtual machine), as long as a small kernel itself.
 */
/** How long an idle worker keeps watching for the next kernel before it sleeps. */
export const SPIN_MS = 2;

/** Int32 control words the pool uses (the engine reserves 16). */
export const CONTROL_WORDS = 8;
export const STOP = 0;
export const PUBLISHED = 1;
export const COMPLETED = 2;
export const ZERO = 5;

/** Command slots in the ring; a power of two. A training step of LeNet-5 queues ~60 kernels. */
export const QUEUE_SLOTS = 256;
/** Bytes of one slot's parameter block: int32 slots, then float64 slots from byte 256. */
export const SLOT_BYTES = 512;
export const HEADER_WORDS = 8;
export const DONE = 1;
export const THREADS = 2;
export const FAILED = 3;
export const SHARES = 5;

/** Most shares a command may have (the claim word and failure bits have room for 64). */
export const MAX_SHARES = 64;

/** The claim word of command `index`: see above. */
export function claimWord(index: number, shares: number): number {
  return ((index & 0x3ffff) << 14) | (shares << 7);
}

/**
 * Claims a share of command `index`, whose header starts at headers[h], from the front (the main
 * thread) or the back (workers): its number, or -1 when every share is taken or the slot holds
 * another command. Also run by the workers.
 */
export function claimShare(headers: Int32Array, h: number, index: number, fromFront: boolean): number {
  for (;;) {
    const word = Atomics.load(headers, h);
    if (word >>> 14 !== (index & 0x3ffff)) return -1;
    const front = word & 127;
    const back = (word >>> 7) & 127;
    if (front >= back) return -1;
    const claimed = fromFront ? word + 1 : word - 128;
    if (Atomics.compareExchange(headers, h, word, claimed) === word) return fromFront ? front : back - 1;
  }
}

/**
 * Counts one share of command `index` done. The thread that finishes the last one completes the
 * command, unless a share failed: the main thread computes those first (threads.ts drain()).
 * Workers run this function's source, so the word indices are written out: header 1 shares
 * done, 3-4 failed shares; control word 2 commands completed.
 */
export function finishShare(ctrl: Int32Array, headers: Int32Array, h: number, index: number, shares: number): void {
  if (Atomics.add(headers, h + 1, 1) + 1 !== shares) return;
  if ((Atomics.load(headers, h + 3) | Atomics.load(headers, h + 4)) === 0) {
    // Compare-exchange: the main thread may have seen the count and completed it already.
    Atomics.compareExchange(ctrl, 2, index, (index + 1) | 0);
    Atomics.notify(ctrl, 2);
  }
  Atomics.notify(headers, h + 1);
}

export const WORKER_SOURCE = `
'use strict';
const SPIN_MS = ${SPIN_MS};
const SLOTS = ${QUEUE_SLOTS};
const claimShare = ${claimShare.toString()};
const finishShare = ${finishShare.toString()};
function spinWhile(words, index, value) {
  const until = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(words, index) === value; i++) {
    if ((i & 1023) === 0 && performance.now() > until) return;
  }
}
function start(data, post) {
  const { module, memory, tid, ctrlIndex, headersIndex, slotsAt } = data;
  let instance;
  try {
    instance = new WebAssembly.Instance(module, { env: { memory } });
  } catch (error) {
    post({ type: 'error', message: String(error && error.message || error) });
    return;
  }
  const run = instance.exports.run;
  const ctrl = new Int32Array(memory.buffer, ctrlIndex * 4, ${CONTROL_WORDS});
  const headers = new Int32Array(memory.buffer, headersIndex * 4, SLOTS * ${HEADER_WORDS});
  // A share that throws is run once more after a pause; if it fails again, this worker sets the
  // share's bit in the failure words and the main thread runs the share itself (threads.ts). A
  // kernel can start before this thread has taken in memory that the main thread has just grown
  // (V8 updates each thread's view of shared memory at that thread's next interrupt check), and
  // its bulk memory operations then trap; a moment later the same share runs.
  // Tests make the first attempts fail on purpose (CONVLAB_TEST_WORKER_FAULTS = how many).
  let faults = Number(typeof process !== 'undefined' && process.env && process.env.CONVLAB_TEST_WORKER_FAULTS || 0);
  const attempt = (params, share, shares, slot) => {
    if (faults > 0) {
      faults--;
      throw new Error('fault injected by CONVLAB_TEST_WORKER_FAULTS');
    }
    run(params, share, shares, slot);
  };
  const runShare = (h, params, share, shares, slot) => {
    try {
      attempt(params, share, shares, slot);
      return;
    } catch (first) {
      Atomics.wait(ctrl, ${ZERO}, 0, 1);
      try {
        attempt(params, share, shares, slot);
        return;
      } catch (error) {
        Atomics.or(headers, h + ${FAILED} + (share >> 5), 1 << (share & 31));
        console.error('convlab: wasm worker ' + tid + ' failed inside a kernel twice (' + String(error && error.message || error) + '); the main thread ran its share');
      }
    }
  };
  // Tests: end this worker once it holds a share, as a crash inside a kernel would.
  const exitInKernel = typeof process !== 'undefined' && process.env && process.env.CONVLAB_TEST_WORKER_EXIT_IN_KERNEL === '1';
  // Read the queue before saying 'ready': the main thread may publish as soon as it hears from us.
  let next = Atomics.load(ctrl, ${COMPLETED});
  post({ type: 'ready' });
  for (;;) {
    if (Atomics.load(ctrl, ${PUBLISHED}) === next) {
      spinWhile(ctrl, ${PUBLISHED}, next);
      Atomics.wait(ctrl, ${PUBLISHED}, next);
    }
    if (Atomics.load(ctrl, ${STOP}) < 0) return;
    // Commands the other threads completed meanwhile need nothing from us.
    const completed = Atomics.load(ctrl, ${COMPLETED});
    if (((completed - next) | 0) > 0) next = completed;
    if (Atomics.load(ctrl, ${PUBLISHED}) === next) continue;
    const h = (next & (SLOTS - 1)) * ${HEADER_WORDS};
    const params = slotsAt + (next & (SLOTS - 1)) * ${SLOT_BYTES};
    for (let share = claimShare(headers, h, next, false); share >= 0; share = claimShare(headers, h, next, false)) {
      if (exitInKernel) process.exit(1);
      // The slot holds this command until the share just claimed is done.
      const shares = Atomics.load(headers, h + ${SHARES});
      // A one-thread command was given scratch for one thread: whoever runs it uses slot 0.
      runShare(h, params, share, shares, Atomics.load(headers, h + ${THREADS}) === 1 ? 0 : tid);
      finishShare(ctrl, headers, h, next, shares);
    }
    const target = (next + 1) | 0;
    let c = Atomics.load(ctrl, ${COMPLETED});
    if (((c - target) | 0) < 0) {
      const until = performance.now() + SPIN_MS;
      for (let i = 1; ((c = Atomics.load(ctrl, ${COMPLETED})) - target | 0) < 0; i++) {
        if ((i & 1023) === 0 && performance.now() > until) {
          Atomics.wait(ctrl, ${COMPLETED}, c, 50);
          if (Atomics.load(ctrl, ${STOP}) < 0) return;
        }
      }
    }
    next = target;
  }
}
if (typeof process !== 'undefined' && process.versions && process.versions.node) {
  const wt = require('node:worker_threads');
  start(wt.workerData, (m) => wt.parentPort.postMessage(m));
} else {
  self.onmessage = (event) => start(event.data, (m) => self.postMessage(m));
}
`;
