import { withArena, type FloatArena } from '../tensor/dtype.js';
import { kernels } from './registry.js';

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
  /** Frees everything allocated since `mark`; with poisoning on, fills it with NaN first. */
  end(mark: number): void;
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
 */
export function runStep<T>(f: () => T, batch = 0): T {
  const arena = kernels().arena;
  if (!arena) return f();
  const mark = arena.begin();
  const previous = arena.splitBatch?.(batch) ?? 0;
  try {
    return withArena(arena, f);
  } finally {
    arena.end(mark);
    arena.splitBatch?.(previous);
  }
}

/** A heap copy of float storage that may lie in the step arena. */
export function toHeap<A extends Float32Array | Float64Array>(data: A): A {
  // slice() allocates through the typed array's own constructor: always the JS heap.
  return data.slice() as A;
}
