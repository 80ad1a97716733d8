/**
 * One activation name, two functions: Keras 3 defines 'hard_sigmoid' as relu6(x + 3) / 6, while
 * tf.keras 2 and Keras <= 2 (and TF.js's 'hardSigmoid') define it as clip(0.2x + 0.5, 0, 1).
 * convlab keeps both ('hardSigmoidKeras3' and 'hardSigmoid'), reads the name by the version of
 * Keras that wrote the file, and writes the name only where the target format's version means
 * the same function.
 */
import { ModelFormatError, isPlainObject } from '../limits.js';

/** The Keras major version a version string names ('2.1.6', '2.2.4-tf', '3.5.0'), or null ('convlab 0.1.0', missing). */
export function kerasMajor(version: unknown): number | null {
  if (typeof version !== 'string') return null;
  const m = /^(\d+)\./.exec(version.trim());
  return m ? Number(m[1]) : null;
}

/** Whether a config is in Keras 3's spelling ({module, class_name, config, registered_name} objects). */
export function looksLikeKeras3(config: unknown): boolean {
  return isPlainObject(config) && typeof config.module === 'string' && 'registered_name' in config;
}

/** Calls `visit` on every object in a config tree that has a string `activation` (depth-bounded). */
function eachActivation(value: unknown, visit: (holder: Record<string, unknown>) => void, depth = 0): void {
  if (depth > 200) return;
  if (Array.isArray(value)) {
    for (const v of value) eachActivation(v, visit, depth + 1);
    return;
  }
  if (!isPlainObject(value)) return;
  if (typeof value.activation === 'string') visit(value);
  for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) eachActivation(v, visit, depth + 1);
}

/**
 * Reads a converted (snake_case) Keras topology in place: in a file Keras 3 wrote, 'hard_sigmoid'
 * is relu6(x + 3) / 6 and becomes convlab's 'hard_sigmoid_keras3'; Keras 2's stays 'hard_sigmoid'.
 */
export function readActivationsForVersion(topology: unknown, keras3: boolean): void {
  if (!keras3) return;
  eachActivation(topology, (holder) => {
    if (holder.activation === 'hard_sigmoid') holder.activation = 'hard_sigmoid_keras3';
  });
}

function layerName(holder: Record<string, unknown>): string {
  return typeof holder.name === 'string' ? `'${holder.name}'` : 'a layer';
}

/**
 * Writes the activation names of a config for a Keras major version, in place. A function the
 * target Keras has no name for is refused rather than written under a name Keras would read as
 * something else.
 */
export function writeActivationsForVersion(config: unknown, major: 2 | 3): void {
  eachActivation(config, (holder) => {
    const a = holder.activation;
    if (major === 3) {
      if (a === 'hard_sigmoid') {
        throw new ModelFormatError(`${layerName(holder)} uses 'hardSigmoid', clip(0.2x + 0.5, 0, 1) (TF.js's and Keras 2's hard_sigmoid), which Keras 3 does not have: Keras 3's 'hard_sigmoid' is relu6(x + 3) / 6 ('hardSigmoidKeras3' in convlab). Save as .h5 (Keras 2) or in the TF.js format, or build the model with 'hardSigmoidKeras3'`);
      }
      if (a === 'hard_sigmoid_keras3') holder.activation = 'hard_sigmoid';
    } else if (a === 'hard_sigmoid_keras3') {
      throw new ModelFormatError(`${layerName(holder)} uses 'hardSigmoidKeras3', relu6(x + 3) / 6 (Keras 3's hard_sigmoid), which Keras 2 does not have: Keras 2's 'hard_sigmoid' is clip(0.2x + 0.5, 0, 1). Save as .keras (Keras 3) or in the TF.js format`);
    }
  });
}
