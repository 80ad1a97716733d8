import type { StepArena } from '../kernels/arena.js';
import { kernels } from '../kernels/registry.js';
import type { LayerVariable } from '../layers/layer.js';
import type { Optimizer } from '../optimizers/index.js';
import type { FloatArray } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';

/*
 * For the length of one fit, the model's float32 weights and their optimizer slots live in the
 * backend's arena, below every step, so kernels and optimizer updates use them in place instead
 * of copying them in and out on every call. When fit ends (or throws), the values are copied
 * back into the original heap arrays, which take their places again: after fit, nothing the
 * model or optimizer holds points into wasm memory, and a weight tensor taken before fit sees
 * the trained values. During fit, callbacks see the wasm copies (reading, saving and setWeights
 * all work); a reference to one kept past fit reads stale values (NaN with the arena poisoned).
 */

interface Moved {
  variable: LayerVariable;
  heap: Tensor;
  resident: Tensor;
}

interface MovedSlot {
  slots: Record<string, FloatArray>;
  name: string;
  heap: FloatArray;
  resident: Float32Array;
}

/**
 * Fits on one model at a time hold weights in the arena: the arena is a stack, and two fits that
 * interleave at their awaits would free each other's weights. A second concurrent fit copies.
 */
let holder: object | null = null;

function copyIn(arena: StepArena, data: FloatArray): Float32Array | null {
  if (!(data instanceof Float32Array)) return null;
  const view = arena.allocFloat32(data.length);
  view?.set(data);
  return view;
}

/**
 * Moves the weights and slots into the arena; returns the function that moves them back (call it
 * exactly once, after the last callback has run), or null when the backend has no arena.
 */
export function moveWeightsToArena(weights: LayerVariable[], optimizer: Optimizer): (() => void) | null {
  const arena = kernels().arena;
  if (!arena || holder !== null) return null;
  const owner = {};
  holder = owner;
  const mark = arena.begin();
  const moved: Moved[] = [];
  const movedSlots: MovedSlot[] = [];
  // A variable listed twice (a layer shared in the graph) must have one copy, not two.
  for (const variable of new Set(weights)) {
    const view = copyIn(arena, variable.value.data as FloatArray);
    if (view) {
      const resident = new Tensor(view, variable.value.shape);
      moved.push({ variable, heap: variable.value, resident });
      variable.value = resident;
    }
    if (!variable.trainable) continue;
    const slots = optimizer.slotsOf(variable);
    for (const [name, heap] of Object.entries(slots)) {
      const slotView = copyIn(arena, heap);
      if (!slotView) continue;
      movedSlots.push({ slots, name, heap, resident: slotView });
      slots[name] = slotView;
    }
  }
  return () => {
    // The last step's optimizer update may still be running (runStep's overlap).
    arena.flush?.();
    // Only what still holds our copy goes back: a callback may have replaced a weight tensor or
    // the optimizer's state (setState) with heap arrays of its own.
    for (const { variable, heap, resident } of moved) {
      if (variable.value !== resident) continue;
      (heap.data as Float32Array).set(resident.data as Float32Array);
      variable.value = heap;
    }
    for (const { slots, name, heap, resident } of movedSlots) {
      if (slots[name] !== resident) continue;
      heap.set(resident);
      slots[name] = heap;
    }
    arena.end(mark);
    if (holder === owner) holder = null;
  };
}
