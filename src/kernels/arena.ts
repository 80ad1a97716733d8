import { withArena, type FloatArena } from '../tensor/dtype.js';
import { kernels } from './registry.js';
import type { Tensor } from '../tensor/tensor.js';

/*
 * Step arenas: a backend whose kernels work on memory of their own (wasm) lends that memory to
 * one training or inference step at a time. Every float32 tensor the step creates is a view into
 * it, so kernels neither copy operands in nor results out, and the next step reuses the same
 * bytes instead of allocating. Whatever outlives a step (weights, optimizer slots, predictions
 * handed to the user) must be on the JS heap: layers build their weights and optimizers their
 * slots with onHeap(), and a step returns only numbers or heap copies.
 */

export interface StepArena extends FloatArena {
  /** Starts a step; returns the mark to end it with (steps may nest). */
  begin(): number;
  /**
   * Frees everything allocated since `mark`; with poisoning on, fills it with NaN first. With
   * `overlap`, kernels the step queued may still be running when it returns (runStep).
   */
  end(mark: number, overlap?: boolean): void;
  /** Waits for every kernel call queued so far (a backend whose kernels run at once has none). */
  flush?(): void;
  /** The position in the kernel queue now, for settle(). */
  queuePoint?(): number;
  /** Waits for the kernel calls queued before `point` (a queuePoint()), not for later ones. */
  settle?(point: number): void;
  /**
   * Lets the step's kernels split a batch of this many samples into one lane per thread (0: none),
   * a data-parallel step (src/kernels/wasm/lanes.ts); returns the previous setting.
   */
  splitBatch?(batch: number): number;
}

/**
 * Runs one step with float32 allocations in the active backend's arena, then frees them. The
 * result must not hold a tensor created inside f: return numbers, or copy with toHeap().
 * `batch`, the step's batch size, lets kernels split the batch between threads (StepArena.splitBatch).
 * With `overlap`, the step returns while kernels it queued may still run (a training step's
 * backward pass and optimizer update, which nothing reads before the next step's kernels, queued
 * after them): the JavaScript between two steps then runs beside them instead of leaving the other
 * threads idle. Reading any tensor in the arena, or the next step reading its loss, waits for them.
 */
export function runStep<T>(f: () => T, batch = 0, overlap = false): T {
  const arena = kernels().arena;
  if (!arena) return f();
  const mark = arena.begin();
  const previous = arena.splitBatch?.(batch) ?? 0;
  try {
    return withArena(arena, f);
  } finally {
    arena.end(mark, overlap);
    arena.splitBatch?.(previous);
  }
}

/** A heap copy of float storage that may lie in the step arena. */
export function toHeap<A extends Float32Array | Float64Array>(data: A): A {
  // slice() allocates through the typed array's own constructor: always the JS heap.
  return data.slice() as A;
}

/** The position in the active backend's kernel queue now (see scalarQueuedBefore). */
export function queuePoint(): number {
  return kernels().arena?.queuePoint?.() ?? 0;
}

/**
 * The first value of `t`, which kernels queued before `point` (a queuePoint()) computed: waits
 * for those kernels only, where reading t.data would wait for every kernel queued since, such as
 * a training step's backward pass and update.
 */
export function scalarQueuedBefore(t: Tensor, point: number): number {
  kernels().arena?.settle?.(point);
  return t.storage[0];
}
