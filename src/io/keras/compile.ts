/**
 * A saved model's training configuration (Keras 2's `training_config`, Keras 3's
 * `compile_config`, TF.js's `trainingConfig`) as convlab compile() arguments, so that fit()
 * continues training a loaded model. What convlab lacks (an optimizer, a loss) is reported as a
 * note and the model stays uncompiled; loading never fails on it.
 */
import type { CompileArgs } from '../../models/layers_model.js';
import { Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../optimizers/index.js';
import { resolveLoss } from '../../losses/index.js';
import { isPlainObject } from '../limits.js';
import { unwrapKeras3 } from './config.js';
import { isPerOutput, perOutputCompileArgs } from './multi_io.js';

/** The TF.js trainingConfig shape: {optimizer_config: {class_name, config}, loss, metrics}. */
export function normalizeTrainingConfig(raw: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(raw)) return undefined;
  const tc = unwrapKeras3(raw) as Record<string, unknown>;
  const optimizer = tc.optimizer_config ?? tc.optimizer;
  return { optimizer_config: optimizer, loss: tc.loss, metrics: tc.metrics, loss_weights: tc.loss_weights };
}

function num(config: Record<string, unknown>, ...keys: string[]): number | undefined {
  for (const key of keys) {
    const v = config[key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

function optimizerFrom(value: unknown, notes: string[]): Optimizer | null {
  if (typeof value === 'string') value = { class_name: value, config: {} };
  if (!isPlainObject(value) || typeof value.class_name !== 'string') {
    notes.push('training config: no optimizer; the model is not compiled');
    return null;
  }
  // tf.keras 2.11+ registers its optimizers as 'Custom>Adam'.
  const name = value.class_name.replace(/^Custom>/, '').toLowerCase();
  const c = isPlainObject(value.config) ? value.config : {};
  let lr = num(c, 'learning_rate', 'lr', 'learningRate');
  const schedule = c.learning_rate;
  if (lr === undefined && isPlainObject(schedule) && isPlainObject(schedule.config)) {
    lr = num(schedule.config, 'initial_learning_rate');
    notes.push(`optimizer: learning-rate schedule '${String(schedule.class_name)}' replaced by its initial rate ${lr}`);
  }
  if (num(c, 'decay') || c.clipnorm != null || c.clipvalue != null || c.global_clipnorm != null || c.use_ema === true) {
    notes.push('optimizer: decay, gradient clipping and EMA settings are ignored');
  }
  switch (name) {
    case 'adam':
      return new Adam({ learningRate: lr, beta1: num(c, 'beta_1', 'beta1'), beta2: num(c, 'beta_2', 'beta2'), epsilon: num(c, 'epsilon'), weightDecay: num(c, 'weight_decay') });
    case 'adamw':
      return new AdamW({ learningRate: lr, beta1: num(c, 'beta_1', 'beta1'), beta2: num(c, 'beta_2', 'beta2'), epsilon: num(c, 'epsilon'), weightDecay: num(c, 'weight_decay') });
    case 'sgd':
      return new SGD({ learningRate: lr, momentum: num(c, 'momentum'), nesterov: c.nesterov === true, weightDecay: num(c, 'weight_decay') });
    case 'rmsprop':
      if (c.centered === true) notes.push('optimizer: RMSprop centered=True is not in convlab; training continues uncentered');
      return new RMSprop({ learningRate: lr, rho: num(c, 'rho', 'decay'), momentum: num(c, 'momentum'), epsilon: num(c, 'epsilon') });
    default:
      notes.push(`optimizer '${value.class_name.slice(0, 40)}' is not in convlab (it has SGD, Adam, AdamW, RMSprop); the model is not compiled`);
      return null;
  }
}

function lossFrom(value: unknown, notes: string[]): string | null {
  let id: unknown = value;
  if (isPlainObject(value) && typeof value.class_name === 'string') {
    const config = isPlainObject(value.config) ? value.config : {};
    if (config.from_logits === true) {
      notes.push(`loss '${value.class_name}' with from_logits=True is not read; the model is not compiled`);
      return null;
    }
    id = value.class_name;
  }
  if (typeof id !== 'string') {
    notes.push('training config: the loss is not a single named loss (one per output?); the model is not compiled');
    return null;
  }
  try {
    return resolveLoss(id);
  } catch {
    notes.push(`loss '${id.slice(0, 40)}' is not in convlab; the model is not compiled`);
    return null;
  }
}

function metricNames(value: unknown, notes: string[]): string[] {
  const out: string[] = [];
  const visit = (m: unknown, depth: number): void => {
    if (depth > 4) return;
    if (Array.isArray(m)) return m.forEach((x) => visit(x, depth + 1));
    let name: unknown = m;
    if (isPlainObject(m)) name = isPlainObject(m.config) ? (m.config.name ?? m.config.fn) : m.class_name;
    if (typeof name !== 'string') return;
    const key = name.replace(/_/g, '').toLowerCase();
    if (key === 'accuracy' || key === 'acc') out.push('accuracy');
    else if (['sparsecategoricalaccuracy', 'categoricalaccuracy', 'binaryaccuracy'].includes(key)) out.push(name);
    else notes.push(`metric '${name.slice(0, 40)}' is not in convlab and is skipped`);
  };
  visit(value, 0);
  return [...new Set(out)];
}

/** compile() arguments from a normalized training config, or null when convlab cannot compile it. */
export function compileArgsFrom(trainingConfig: Record<string, unknown>, notes: string[]): CompileArgs | null {
  const optimizer = optimizerFrom(trainingConfig.optimizer_config, notes);
  // Several outputs: a loss (and weights, metrics) per output.
  if (isPerOutput(trainingConfig.loss)) {
    const perOutput = perOutputCompileArgs(trainingConfig, notes, lossFrom, metricNames);
    return optimizer && perOutput ? { optimizer, ...perOutput } : null;
  }
  const loss = lossFrom(trainingConfig.loss, notes);
  if (!optimizer || !loss) return null;
  return { optimizer, loss, metrics: metricNames(trainingConfig.metrics, notes) };
}
