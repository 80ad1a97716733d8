import { record } from '../autograd/tape.js';
import { allocateFloat, type FloatDType } from '../tensor/dtype.js';
import { formatShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { floatData } from './arithmetic.js';

/** Joins tensors along the last axis; every other axis must match. */
export function concatLastAxis(xs: Tensor[]): Tensor {
  if (xs.length === 0) throw new Error('Concat: expected at least one tensor');
  const lead = xs[0].shape.slice(0, -1);
  for (const x of xs) {
    floatData(x, 'Concat');
    if (x.dtype !== xs[0].dtype || x.rank !== xs[0].rank || x.shape.slice(0, -1).some((d, i) => d !== lead[i])) {
      throw new Error(`Concat: shapes ${xs.map((t) => formatShape(t.shape)).join(', ')} differ outside the last axis (or in dtype)`);
    }
  }
  const widths = xs.map((x) => x.shape[x.rank - 1]);
  const total = widths.reduce((a, b) => a + b, 0);
  const rows = lead.reduce((a, b) => a * b, 1);
  const out = allocateFloat(xs[0].dtype as FloatDType, rows * total);
  for (let r = 0; r < rows; r++) {
    let offset = r * total;
    xs.forEach((x, k) => {
      out.set(x.data.subarray(r * widths[k], (r + 1) * widths[k]) as Float32Array, offset);
      offset += widths[k];
    });
  }
  const y = new Tensor(out, [...lead, total]);
  record('Concat', xs, y, { widths });
  return y;
}

/** The gradient of concatLastAxis: the matching slice of dy for each input. */
export function splitLastAxis(dy: Tensor, widths: number[]): Tensor[] {
  const total = dy.shape[dy.rank - 1];
  const rows = dy.size / total;
  let start = 0;
  return widths.map((w) => {
    const part = allocateFloat(dy.dtype as FloatDType, rows * w);
    for (let r = 0; r < rows; r++) part.set(dy.data.subarray(r * total + start, r * total + start + w) as Float32Array, r * w);
    start += w;
    return new Tensor(part, [...dy.shape.slice(0, -1), w]);
  });
}
