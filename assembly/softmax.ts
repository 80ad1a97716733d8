import { at } from './simd';

/*
 * Row-wise softmax kernels over rows [r0, r1). Exponentials run in float32 but sums in float64,
 * so wide rows lose no more precision than the float64 reference does.
 */

export function softmax(x: usize, out: usize, r0: i32, r1: i32, cols: i32): void {
  for (let r = r0; r < r1; r++) {
    const xr = at(x, r * cols);
    const or = at(out, r * cols);
    let mx = <f32>-Infinity;
    for (let j = 0; j < cols; j++) mx = max(mx, load<f32>(xr + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) {
      const e = Mathf.exp(load<f32>(xr + (<usize>j << 2)) - mx);
      store<f32>(or + (<usize>j << 2), e);
      s += <f64>e;
    }
    for (let j = 0; j < cols; j++) {
      const o = or + (<usize>j << 2);
      store<f32>(o, <f32>(<f64>load<f32>(o) / s));
    }
  }
}

/** dx = y * (dy - Σ dy*y) per row. */
export function softmaxGrad(dy: usize, y: usize, out: usize, r0: i32, r1: i32, cols: i32): void {
  for (let r = r0; r < r1; r++) {
    const base = r * cols;
    let dot: f64 = 0;
    for (let j = 0; j < cols; j++) dot += <f64>load<f32>(at(dy, base + j)) * <f64>load<f32>(at(y, base + j));
    for (let j = 0; j < cols; j++) {
      const yv = <f64>load<f32>(at(y, base + j));
      store<f32>(at(out, base + j), <f32>(yv * (<f64>load<f32>(at(dy, base + j)) - dot)));
    }
  }
}

/** Fused softmax + sparse cross-entropy; labels are int32. Loss = log Σe + max - logit[label]. */
export function sparseSoftmaxCrossEntropy(logits: usize, labels: usize, losses: usize, probs: usize, r0: i32, r1: i32, cols: i32): void {
  softmax(logits, probs, r0, r1, cols);
  for (let r = r0; r < r1; r++) {
    const xr = at(logits, r * cols);
    let mx = <f32>-Infinity;
    for (let j = 0; j < cols; j++) mx = max(mx, load<f32>(xr + (<usize>j << 2)));
    let s: f64 = 0;
    for (let j = 0; j < cols; j++) s += Math.exp(<f64>(load<f32>(xr + (<usize>j << 2)) - mx));
    const label = load<i32>(labels + (<usize>r << 2));
    store<f32>(at(losses, r), <f32>(Math.log(s) + <f64>mx - <f64>load<f32>(xr + (<usize>label << 2))));
  }
}
