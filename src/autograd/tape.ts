import type { Tensor } from '../tensor/tensor.js';

/** One recorded op: enough to replay its gradient rule during the backward pass. */
export interface TapeNode {
  op: string;
  inputs: Tensor[];
  output: Tensor;
  attrs: Record<string, unknown>;
  /** Which inputs depend on a watched tensor: rules may skip the gradients of the others. */
  needsGrad: boolean[];
}

interface Tape {
  nodes: TapeNode[];
  /** Ids of tensors that depend on a watched tensor; only ops touching them are recorded. */
  tracked: Set<number>;
}

let current: Tape | null = null;

export function record(op: string, inputs: Tensor[], output: Tensor, attrs: Record<string, unknown> = {}): void {
  if (current === null) return;
  const tracked = current.tracked;
  const needsGrad = inputs.map((t) => tracked.has(t.id));
  if (!needsGrad.includes(true)) return;
  current.nodes.push({ op, inputs, output, attrs, needsGrad });
  tracked.add(output.id);
}

/** Whether a tape is recording (ops that depend on its watched tensors get gradient rules). */
export function isRecording(): boolean {
  return current !== null;
}

/** Runs f while recording the ops that depend on `watched`; returns f's result and the tape. */
export function withTape<T>(watched: Tensor[], f: () => T): { result: T; nodes: TapeNode[] } {
  const previous = current;
  const tape: Tape = { nodes: [], tracked: new Set(watched.map((t) => t.id)) };
  current = tape;
  try {
    return { result: f(), nodes: tape.nodes };
  } finally {
    current = previous;
  }
}

/** Runs f with recording switched off (inference, metrics, the backward pass itself). */
export function noGrad<T>(f: () => T): T {
  const previous = current;
  current = null;
  try {
    return f();
  } finally {
    current = previous;
  }
}
