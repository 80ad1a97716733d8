import type { AdamState } from '../backend.js';
import type { FloatArray } from '../../tensor/dtype.js';

/** Keras's Adam: bias correction is folded into the step size and epsilon is added to sqrt(v). */
export function adamUpdate(param: FloatArray, grad: FloatArray, m: FloatArray, v: FloatArray, s: AdamState): void {
  const { beta1, beta2, epsilon, step } = s;
  const lrT = (s.lr * Math.sqrt(1 - Math.pow(beta2, step))) / (1 - Math.pow(beta1, step));
  const decay = s.lr * s.weightDecay;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    let p = param[i];
    if (decay !== 0) p -= decay * p;
    param[i] = p - (lrT * mi) / (Math.sqrt(vi) + epsilon);
  }
}

export function sgdUpdate(param: FloatArray, grad: FloatArray, velocity: FloatArray | null, lr: number, momentum: number, nesterov: boolean, weightDecay: number): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] + weightDecay * param[i];
    if (velocity === null) {
      param[i] -= lr * g;
      continue;
    }
    const v = momentum * velocity[i] - lr * g;
    velocity[i] = v;
    param[i] += nesterov ? momentum * v - lr * g : v;
  }
}

/**
 * Keras 3's RMSprop (and tf.keras 2's with momentum, and TF.js's): epsilon is added to the mean
 * square under the square root, sqrt(ms + epsilon).
 */
export function rmspropUpdate(param: FloatArray, grad: FloatArray, meanSquare: FloatArray, velocity: FloatArray | null, lr: number, rho: number, momentum: number, epsilon: number): void {
  for (let i = 0; i < param.length; i++) {
    const g = grad[i];
    const ms = rho * meanSquare[i] + (1 - rho) * g * g;
    meanSquare[i] = ms;
    const step = (lr * g) / Math.sqrt(ms + epsilon);
    if (velocity === null) {
      param[i] -= step;
    } else {
      const v = momentum * velocity[i] + step;
      velocity[i] = v;
      param[i] -= v;
    }
  }
}
