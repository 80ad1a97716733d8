/**
 * Source of a kernel worker, run from a string (Node: `eval: true`; browsers: a Blob URL) so that
 * no worker file has to be located next to the compiled or bundled module. A worker instantiates
 * the shared kernels, says 'ready', then works through the kernel queue (threads.ts).
 *
 * The main thread publishes kernel calls into a ring of QUEUE_SLOTS command slots and goes on
 * with its JavaScript (autograd, the next layer) while the workers run them. Each command is cut
 * into a fixed number of shares (fixed by the shapes and the thread count, so results are too),
 * and every thread claims the next unclaimed share of a command that may start. The main thread
 * joins in only when it needs results (engine.ts flush()).
 *
 * When a command may start is written in its header, so that threads need not wait for each
 * other after every kernel:
 * - a plain command waits until every command before it is complete, and every later command
 *   waits for it (a barrier: it may read anything earlier commands wrote);
 * - a lane command (engine.ts, lanes.ts: one part of a batch split into a lane per thread) waits
 *   for the last barrier before it and for the previous command of its own lane, so the lanes of
 *   a data-parallel step run side by side without meeting after every kernel;
 * - a reduce command (adding the lanes' partial sums) waits for every command before it, but
 *   later lane commands do not wait for it (lanes.ts never lets them read what it writes).
 * A thread scans the published commands from the oldest incomplete one and takes a share of the
 * first that may start, preferring its own lane's commands (thread t's lane is t, so a lane's
 * activations stay in one core's cache) and taking another lane's only when none is left; the
 * scan stops at an incomplete barrier, after which nothing may start.
 *
 * The main thread claims shares from the front, workers from the back: with two threads each keeps
 * to its own end of every kernel's output, which the next kernel mostly reads at the same end, so
 * activations stay in the cache of the core that wrote them.
 *
 * Control words (int32 indices into ctrl): 0 stop (-1), 1 commands published, 2 commands
 * completed (every command before it is complete), 3 progress (bumped whenever a command is
 * published or completed; idle threads wait on it), 5 always 0 (for pauses). The counts only grow
 * (wrapping at 2^32). Each slot has a header of HEADER_WORDS: 0 claim word, 1 shares done, 2 the
 * command's thread count, 3-4 failed shares (a bit each), 5 the share count, 6 `after` (the
 * command may start once every command before this index is complete), 7 `prev` (a command that
 * must be complete first; the command's own index for none), 8 1 for a barrier, 9 the lane of a
 * lane command (-1 otherwise). The claim word
 * packs the command's tag (its index, low 18 bits, so that a late thread cannot claim from the
 * command that reuses the slot) and the unclaimed shares [front, back): tag << 14 | back << 7 | front.
 *
 * Before sleeping, a worker watches for progress for SPIN_MS: waking a sleeping thread takes tens
 * of microseconds (more inside a virtual machine), as long as a small kernel itself.
 */
/** How long an idle worker keeps watching for the next kernel before it sleeps. */
export const SPIN_MS = 2;

/** Int32 control words the pool uses (the engine reserves 16). */
export const CONTROL_WORDS = 8;
export const STOP = 0;
export const PUBLISHED = 1;
export const COMPLETED = 2;
export const PROGRESS = 3;
export const ZERO = 5;

/** Command slots in the ring; a power of two. A training step of LeNet-5 queues ~60 kernels (~120 in lanes). */
export const QUEUE_SLOTS = 256;
/** Bytes of one slot's parameter block: int32 slots, then float64 slots from byte 256. */
export const SLOT_BYTES = 512;
export const HEADER_WORDS = 16;
export const DONE = 1;
export const THREADS = 2;
export const FAILED = 3;
export const SHARES = 5;
export const AFTER = 6;
export const PREV = 7;
export const BARRIER = 8;
export const LANE = 9;

// claimNext and advanceCompleted, which workers run from source, spell these two out.
if (QUEUE_SLOTS !== 256 || HEADER_WORDS !== 16) throw new Error('worker_source.ts: update the literals 255 and 16 in claimNext and advanceCompleted');

/** Most shares a command may have (the claim word and failure bits have room for 64). */
export const MAX_SHARES = 64;

/** The claim word of command `index`: see above. */
export function claimWord(index: number, shares: number): number {
  return ((index & 0x3ffff) << 14) | (shares << 7);
}

/*
 * Workers run the source of the functions below (which therefore call no other function of this
 * module: a bundler may rename it), so their word indices are written out: header 0 claim word,
 * 1 shares done, 3-4 failed shares, 5 share count, 6 after, 7 prev, 8 barrier, 9 lane; control
 * words 1 published, 2 completed, 3 progress; 255 and 16 are QUEUE_SLOTS - 1 and HEADER_WORDS.
 */

/**
 * Claims a share of the first published command that may start, scanning from the oldest
 * incomplete one, from the front of its shares (the main thread) or the back (workers): the
 * share's number with the command's index in found[0], or -1. With `lane` >= 0 it skips the
 * commands of other lanes. A command may start once every command before its `after` is complete
 * and so is its `prev` (its own index for none); nothing after an incomplete barrier may start.
 * Counts read during the scan may be stale by the time they are used: every such case only skips
 * a command that the next scan takes (a slot that another command has taken since holds a
 * complete command's successor, whose claim word carries another tag).
 */
export function claimNext(ctrl: Int32Array, headers: Int32Array, lane: number, fromFront: boolean, found: Int32Array): number {
  const completed = Atomics.load(ctrl, 2);
  const published = Atomics.load(ctrl, 1);
  for (let index = completed; index !== published; index = (index + 1) | 0) {
    const h = (index & 255) * 16;
    const barrier = Atomics.load(headers, h + 8) === 1;
    let ready = ((completed - Atomics.load(headers, h + 6)) | 0) >= 0;
    const prev = Atomics.load(headers, h + 7);
    if (ready && prev !== index && ((prev - completed) | 0) >= 0) {
      const hp = (prev & 255) * 16;
      ready = Atomics.load(headers, hp + 1) === Atomics.load(headers, hp + 5) && (Atomics.load(headers, hp + 3) | Atomics.load(headers, hp + 4)) === 0;
    }
    if (!ready) {
      if (barrier) return -1;
      continue;
    }
    const own = Atomics.load(headers, h + 9);
    if (lane >= 0 && own >= 0 && own !== lane) continue;
    for (;;) {
      const word = Atomics.load(headers, h);
      if (word >>> 14 !== (index & 0x3ffff)) break;
      const front = word & 127;
      const back = (word >>> 7) & 127;
      if (front >= back) break;
      if (Atomics.compareExchange(headers, h, word, fromFront ? word + 1 : word - 128) === word) {
        found[0] = index;
        return fromFront ? front : back - 1;
      }
    }
    // Every share taken: a barrier still running holds back everything after it.
    if (barrier && (Atomics.load(headers, h + 1) !== Atomics.load(headers, h + 5) || (Atomics.load(headers, h + 3) | Atomics.load(headers, h + 4)) !== 0)) return -1;
  }
  return -1;
}

/** Moves the completed count past every complete command at its front, then tells waiting threads. */
export function advanceCompleted(ctrl: Int32Array, headers: Int32Array): void {
  for (;;) {
    const c = Atomics.load(ctrl, 2);
    if (c === Atomics.load(ctrl, 1)) break;
    const h = (c & 255) * 16;
    if (Atomics.load(headers, h + 1) !== Atomics.load(headers, h + 5) || (Atomics.load(headers, h + 3) | Atomics.load(headers, h + 4)) !== 0) break;
    // Compare-exchange: another thread may have moved it already.
    Atomics.compareExchange(ctrl, 2, c, (c + 1) | 0);
  }
  Atomics.add(ctrl, 3, 1);
  Atomics.notify(ctrl, 3);
}

/**
 * Counts one share of the command with header h done. The thread that finishes the last one
 * completes the command, unless a share failed: the main thread computes those first
 * (threads.ts drain()), and a failed share's bit keeps the command incomplete until then.
 */
export function finishShare(ctrl: Int32Array, headers: Int32Array, h: number, shares: number): void {
  if (Atomics.add(headers, h + 1, 1) + 1 === shares) advanceCompleted(ctrl, headers);
}

export const WORKER_SOURCE = `
'use strict';
const SPIN_MS = ${SPIN_MS};
const SLOTS = ${QUEUE_SLOTS};
const claimNext = ${claimNext.toString()};
const advanceCompleted = ${advanceCompleted.toString()};
// finishShare, spelled out: its compiled source would call advanceCompleted by a bundler's name.
function finishShare(ctrl, headers, h, shares) {
  if (Atomics.add(headers, h + 1, 1) + 1 === shares) advanceCompleted(ctrl, headers);
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
  const found = new Int32Array(1);
  post({ type: 'ready' });
  for (;;) {
    // Read progress before looking for work: whatever happens after this read changes it, so the
    // wait below cannot miss a command published or completed during the scan.
    const progress = Atomics.load(ctrl, ${PROGRESS});
    if (Atomics.load(ctrl, ${STOP}) < 0) return;
    // This thread's own lane and commands of no lane first, then any lane.
    let share = claimNext(ctrl, headers, tid, false, found);
    if (share < 0) share = claimNext(ctrl, headers, -1, false, found);
    if (share >= 0) {
      if (exitInKernel) process.exit(1);
      // The slot holds this command until the share just claimed is done.
      const i = found[0];
      const h = (i & (SLOTS - 1)) * ${HEADER_WORDS};
      const shares = Atomics.load(headers, h + ${SHARES});
      const params = slotsAt + (i & (SLOTS - 1)) * ${SLOT_BYTES};
      // A one-thread command was given scratch for one thread: whoever runs it uses slot 0.
      runShare(h, params, share, shares, Atomics.load(headers, h + ${THREADS}) === 1 ? 0 : tid);
      finishShare(ctrl, headers, h, shares);
      continue;
    }
    const until = performance.now() + SPIN_MS;
    for (let i = 1; Atomics.load(ctrl, ${PROGRESS}) === progress; i++) {
      if ((i & 1023) === 0 && performance.now() > until) {
        Atomics.wait(ctrl, ${PROGRESS}, progress);
        break;
      }
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
