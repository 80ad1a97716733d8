/**
 * The training configuration of a model with several outputs, in Keras files: one loss, loss
 * weight and metric list per output, keyed by output name ({"cls": "sparse_categorical_crossentropy",
 * "reg": "mean_squared_error"}), as Keras 3's compile_config and tf.keras 2's training_config hold
 * them when the model was compiled with dicts. Lists in output order (compile(loss=[...])) are read too.
 */
import type { CompileArgs, Compiled } from '../../models/layers_model.js';
import { isPlainObject } from '../limits.js';
import { toSnakeCase } from '../pythonic.js';

/** compile_config / training_config entries for a model compiled per output, or null. */
export function kerasPerOutputCompile(c: Compiled): { loss: Record<string, string>; loss_weights: Record<string, number>; metrics: Record<string, string[]> } | null {
  const outs = c.perOutput;
  // A custom loss function has no name Keras could read back.
  if (!outs || outs.some((o) => o.lossName === null)) return null;
  return {
    loss: Object.fromEntries(outs.map((o) => [o.name, toSnakeCase(o.lossName!)])),
    loss_weights: Object.fromEntries(outs.map((o) => [o.name, o.weight])),
    metrics: Object.fromEntries(outs.map((o) => [o.name, [...o.metricIds]])),
  };
}

/** Whether a saved loss (or metrics) value is given per output: a {name: ...} object or a list. */
export function isPerOutput(value: unknown): boolean {
  return Array.isArray(value) || (isPlainObject(value) && typeof value.class_name !== 'string');
}

/**
 * Per-output loss, loss weights and metrics of a saved training config as compile() arguments.
 * `lossFrom` and `metricNames` read one output's entry (and note what convlab lacks). Null when
 * an output's loss cannot be read: the model then stays uncompiled, as for one output.
 */
export function perOutputCompileArgs(
  tc: Record<string, unknown>,
  notes: string[],
  lossFrom: (value: unknown, notes: string[]) => string | null,
  metricNames: (value: unknown, notes: string[]) => string[],
): Pick<CompileArgs, 'loss' | 'lossWeights' | 'metrics'> | null {
  const raw = tc.loss;
  let loss: string[] | Record<string, string>;
  if (Array.isArray(raw)) {
    const list = raw.slice(0, 1024).map((v) => lossFrom(v, notes));
    if (list.some((l) => l === null)) return null;
    loss = list as string[];
  } else {
    const entries = Object.entries(raw as Record<string, unknown>).slice(0, 1024).map(([k, v]) => [k, lossFrom(v, notes)] as const);
    if (entries.some(([, l]) => l === null)) return null;
    loss = Object.fromEntries(entries) as Record<string, string>;
  }
  const out: Pick<CompileArgs, 'loss' | 'lossWeights' | 'metrics'> = { loss };
  const w = tc.loss_weights;
  if (Array.isArray(w) && w.every((v) => typeof v === 'number')) out.lossWeights = w as number[];
  else if (isPlainObject(w) && Object.values(w).every((v) => typeof v === 'number')) out.lossWeights = w as Record<string, number>;
  else if (w !== undefined && w !== null) notes.push('training config: loss_weights is neither a list nor a {output: weight} object of numbers; every output weighs 1');
  const m = tc.metrics;
  if (isPlainObject(m) && typeof m.class_name !== 'string') {
    out.metrics = Object.fromEntries(Object.entries(m).slice(0, 1024).map(([k, v]) => [k, metricNames(v, notes)]));
  } else if (Array.isArray(m) && m.length > 0 && m.every((v) => Array.isArray(v) || v === null)) {
    out.metrics = m.map((v) => metricNames(v ?? [], notes));
  } else if (m !== undefined && m !== null) {
    out.metrics = metricNames(m, notes);
  }
  return out;
}
