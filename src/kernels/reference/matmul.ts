import type { FloatArray } from '../../tensor/dtype.js';

function transposed(x: FloatArray, rows: number, cols: number): FloatArray {
  const t = new (x.constructor as Float32ArrayConstructor)(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) t[c * rows + r] = x[r * cols + c];
  }
  return t;
}

/**
 * out[m,n] = op(a)[m,k] · op(b)[k,n]. Transposed operands are copied into row-major form first
 * (cheap next to the product), so one loop nest serves every case. Each 4x4 block of the output
 * is accumulated in sixteen local variables over the whole k loop, which keeps the work in
 * registers instead of re-reading and re-writing the output row for every k.
 */
export function matMul(aIn: FloatArray, bIn: FloatArray, out: FloatArray, m: number, k: number, n: number, transposeA: boolean, transposeB: boolean): void {
  const a = transposeA ? transposed(aIn, k, m) : aIn;
  const b = transposeB ? transposed(bIn, n, k) : bIn;
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const r0 = i * k, r1 = r0 + k, r2 = r1 + k, r3 = r2 + k;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, bp = j; p < k; p++, bp += n) {
        const b0 = b[bp], b1 = b[bp + 1], b2 = b[bp + 2], b3 = b[bp + 3];
        const a0 = a[r0 + p], a1 = a[r1 + p], a2 = a[r2 + p], a3 = a[r3 + p];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const o = i * n + j;
      out[o] = c00; out[o + 1] = c01; out[o + 2] = c02; out[o + 3] = c03;
      out[o + n] = c10; out[o + n + 1] = c11; out[o + n + 2] = c12; out[o + n + 3] = c13;
      out[o + 2 * n] = c20; out[o + 2 * n + 1] = c21; out[o + 2 * n + 2] = c22; out[o + 2 * n + 3] = c23;
      out[o + 3 * n] = c30; out[o + 3 * n + 1] = c31; out[o + 3 * n + 2] = c32; out[o + 3 * n + 3] = c33;
    }
  }
  // Edges: rows below the last full block of four, and columns right of it.
  for (let i = 0; i < m; i++) {
    const jStart = i < m4 ? n4 : 0;
    for (let j = jStart; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
}
