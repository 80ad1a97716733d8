import type { FloatArray } from '../../tensor/dtype.js';

/*
 * Batch normalization over the last axis of x, viewed as a [rows, channels] matrix. Sums are
 * accumulated in float64 (JS numbers) whatever the storage type, and the variance is computed in
 * a second pass around the mean, so these kernels stay exact enough to be the oracle for faster
 * ones even when a channel's mean is large next to its spread.
 */

/**
 * Training mode: writes each channel's mean, biased variance and invStd = 1/sqrt(variance +
 * epsilon), and out = (x - mean) * invStd * gamma + beta (gamma 1 and beta 0 where null); with
 * relu, max(out, 0) as a separate relu would give it (v <= 0 ? 0 : v, so NaN stays NaN).
 */
export function batchNormTrain(
  x: FloatArray, gamma: FloatArray | null, beta: FloatArray | null, out: FloatArray,
  mean: FloatArray, variance: FloatArray, invStd: FloatArray, rows: number, channels: number, epsilon: number,
  relu = false,
): void {
  const c = channels;
  const m = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) m[j] += x[r * c + j];
  }
  for (let j = 0; j < c; j++) m[j] /= rows;
  const q = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) {
      const d = x[r * c + j] - m[j];
      q[j] += d * d;
    }
  }
  for (let j = 0; j < c; j++) {
    mean[j] = m[j];
    variance[j] = q[j] / rows;
    invStd[j] = 1 / Math.sqrt(q[j] / rows + epsilon);
  }
  batchNormApply(x, mean, invStd, gamma, beta, out, rows, c, relu);
}

/**
 * out = (x - mean) * invStd * gamma + beta with given per-channel statistics (inference mode),
 * then max(out, 0) with relu.
 */
export function batchNormApply(
  x: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null, beta: FloatArray | null,
  out: FloatArray, rows: number, channels: number, relu = false,
): void {
  const c = channels;
  for (let j = 0; j < c; j++) {
    const scale = invStd[j] * (gamma ? gamma[j] : 1);
    const shift = beta ? beta[j] : 0;
    const mj = mean[j];
    for (let r = 0; r < rows; r++) {
      const i = r * c + j;
      out[i] = (x[i] - mj) * scale + shift;
    }
  }
  // Rounded to the output's precision first, as a separate relu would see it.
  if (relu) for (let i = 0; i < rows * c; i++) out[i] = out[i] <= 0 ? 0 : out[i];
}

/**
 * The gradient of either mode. Writes sumDy = Σ dy and sumDyXhat = Σ dy·xhat per channel (dbeta
 * and dgamma), where xhat = (x - mean) * invStd, and, when dx is given: in training mode, where
 * mean and invStd depend on x, the closed form gamma·invStd/N·(N·dy − sumDy − xhat·sumDyXhat);
 * in inference mode dy·gamma·invStd.
 */
export function batchNormGrad(
  dy: FloatArray, x: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null,
  dx: FloatArray | null, sumDy: FloatArray, sumDyXhat: FloatArray, rows: number, channels: number, training: boolean,
): void {
  const c = channels;
  const s1 = new Float64Array(c);
  const s2 = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < c; j++) {
      const i = r * c + j;
      s1[j] += dy[i];
      s2[j] += dy[i] * (x[i] - mean[j]);
    }
  }
  for (let j = 0; j < c; j++) {
    sumDy[j] = s1[j];
    sumDyXhat[j] = s2[j] * invStd[j];
  }
  if (!dx) return;
  for (let j = 0; j < c; j++) {
    const is = invStd[j];
    const scale = (gamma ? gamma[j] : 1) * is;
    const meanDy = s1[j] / rows;
    const meanDyXhat = (s2[j] * is) / rows;
    for (let r = 0; r < rows; r++) {
      const i = r * c + j;
      dx[i] = training ? scale * (dy[i] - meanDy - (x[i] - mean[j]) * is * meanDyXhat) : scale * dy[i];
    }
  }
}

/**
 * The gradient of relu(batchNormTrain(x)) in training mode: dy is first masked by the relu (zero
 * where the forward output y <= 0, as the relu gradient does), then goes through batchNormGrad.
 * The oracle of the fused kernels, which may recompute the mask from x, beta and the statistics
 * instead of reading y.
 */
export function batchNormReluGrad(
  dy: FloatArray, x: FloatArray, y: FloatArray, mean: FloatArray, invStd: FloatArray, gamma: FloatArray | null,
  _beta: FloatArray | null, dx: FloatArray | null, sumDy: FloatArray, sumDyXhat: FloatArray, rows: number, channels: number,
): void {
  const masked = new (dy.constructor as Float32ArrayConstructor)(dy.length);
  for (let i = 0; i < dy.length; i++) masked[i] = y[i] <= 0 ? 0 : dy[i];
  batchNormGrad(masked, x, mean, invStd, gamma, dx, sumDy, sumDyXhat, rows, channels, true);
}
