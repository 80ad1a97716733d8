import { at } from './simd';

/*
 * Elementwise kernels over [i0, i1) so callers can split them across threads. Vector loops run
 * over whole groups of four; the scalar tails use the same formulas. Comparisons are written so
 * NaN behaves as in the reference kernels and in TensorFlow and PyTorch: it propagates (relu(NaN),
 * maximum(NaN, b) and maximum(a, NaN) are NaN). relu is written v <= 0 ? 0 : v for that.
 */

// Unary op codes, in the order of the JS side's UNARY table.
export const NEG = 0, EXP = 1, LOG = 2, SQRT = 3, SQUARE = 4, ABS = 5, RELU = 6, TANH = 7, SIGMOID = 8, ELU = 9, LEAKY = 10, RECIP = 11;

@inline function unaryScalar(op: i32, v: f32, alpha: f32): f32 {
  switch (op) {
    case NEG: return -v;
    case EXP: return Mathf.exp(v);
    case LOG: return Mathf.log(v);
    case SQRT: return Mathf.sqrt(v);
    case SQUARE: return v * v;
    case ABS: return Mathf.abs(v);
    case RELU: return v <= 0 ? 0 : v;
    case TANH: return Mathf.tanh(v);
    case SIGMOID: return <f32>(1.0 / (1.0 + Math.exp(-<f64>v)));
    case ELU: return v > 0 ? v : alpha * (Mathf.exp(v) - 1);
    case LEAKY: return v > 0 ? v : alpha * v;
    case RECIP: return 1 / v;
    default: return NaN;
  }
}

export function unary(op: i32, x: usize, out: usize, i0: i32, i1: i32, alpha: f32): void {
  let i = i0;
  const zero = f32x4.splat(0);
  const va = f32x4.splat(alpha);
  const one = f32x4.splat(1);
  if (op == NEG || op == SQRT || op == SQUARE || op == ABS || op == RELU || op == LEAKY || op == RECIP) {
    for (; i + 4 <= i1; i += 4) {
      const v = v128.load(at(x, i));
      let r: v128;
      switch (op) {
        case NEG: r = f32x4.neg(v); break;
        case SQRT: r = f32x4.sqrt(v); break;
        case SQUARE: r = f32x4.mul(v, v); break;
        case ABS: r = f32x4.abs(v); break;
        case RELU: r = v128.andnot(v, f32x4.le(v, zero)); break;
        case LEAKY: r = v128.bitselect(v, f32x4.mul(va, v), f32x4.gt(v, zero)); break;
        default: r = f32x4.div(one, v); break;
      }
      v128.store(at(out, i), r);
    }
  }
  for (; i < i1; i++) store<f32>(at(out, i), unaryScalar(op, load<f32>(at(x, i)), alpha));
}

export const G_RELU = 0, G_TANH = 1, G_SIGMOID = 2, G_ELU = 3, G_LEAKY = 4;

/** out = dy * f'(.) with f' from y (relu, tanh, sigmoid, elu) or x (leakyRelu). */
export function activationGrad(op: i32, dy: usize, v: usize, out: usize, i0: i32, i1: i32, alpha: f32): void {
  let i = i0;
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const va = f32x4.splat(alpha);
  for (; i + 4 <= i1; i += 4) {
    const g = v128.load(at(dy, i));
    const y = v128.load(at(v, i));
    let r: v128;
    switch (op) {
      case G_RELU: r = v128.andnot(g, f32x4.le(y, zero)); break;
      case G_TANH: r = f32x4.mul(g, f32x4.sub(one, f32x4.mul(y, y))); break;
      case G_SIGMOID: r = f32x4.mul(f32x4.mul(g, y), f32x4.sub(one, y)); break;
      case G_ELU: r = v128.bitselect(g, f32x4.mul(g, f32x4.add(y, va)), f32x4.gt(y, zero)); break;
      default: r = v128.bitselect(g, f32x4.mul(g, va), f32x4.gt(y, zero)); break;
    }
    v128.store(at(out, i), r);
  }
  for (; i < i1; i++) {
    const g = load<f32>(at(dy, i));
    const y = load<f32>(at(v, i));
    let r: f32;
    switch (op) {
      case G_RELU: r = y <= 0 ? 0 : g; break;
      case G_TANH: r = g * (1 - y * y); break;
      case G_SIGMOID: r = g * y * (1 - y); break;
      case G_ELU: r = y > 0 ? g : g * (y + alpha); break;
      default: r = y > 0 ? g : g * alpha; break;
    }
    store<f32>(at(out, i), r);
  }
}

export const B_ADD = 0, B_SUB = 1, B_MUL = 2, B_DIV = 3, B_MAX = 4, B_MIN = 5;

@inline function binaryScalar(op: i32, a: f32, b: f32): f32 {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return a / b;
    case B_MAX: return a > b || a != a ? a : b;
    default: return a < b || a != a ? a : b;
  }
}

@inline function binaryVector(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_ADD: return f32x4.add(a, b);
    case B_SUB: return f32x4.sub(a, b);
    case B_MUL: return f32x4.mul(a, b);
    case B_DIV: return f32x4.div(a, b);
    case B_MAX: return v128.bitselect(a, b, v128.or(f32x4.gt(a, b), f32x4.ne(a, a)));
    default: return v128.bitselect(a, b, v128.or(f32x4.lt(a, b), f32x4.ne(a, a)));
  }
}

/**
 * mode 0: a and b have out's length; 1: b is a scalar; 2: a is a scalar. Scalars are read from
 * memory like any operand, so the vector loop needs no special case beyond a splat.
 */
export function binary(op: i32, mode: i32, a: usize, b: usize, out: usize, i0: i32, i1: i32): void {
  let i = i0;
  if (mode == 0) {
    for (; i + 4 <= i1; i += 4) v128.store(at(out, i), binaryVector(op, v128.load(at(a, i)), v128.load(at(b, i))));
    for (; i < i1; i++) store<f32>(at(out, i), binaryScalar(op, load<f32>(at(a, i)), load<f32>(at(b, i))));
  } else if (mode == 1) {
    const s = load<f32>(b);
    const vs = f32x4.splat(s);
    for (; i + 4 <= i1; i += 4) v128.store(at(out, i), binaryVector(op, v128.load(at(a, i)), vs));
    for (; i < i1; i++) store<f32>(at(out, i), binaryScalar(op, load<f32>(at(a, i)), s));
  } else {
    const s = load<f32>(a);
    const vs = f32x4.splat(s);
    for (; i + 4 <= i1; i += 4) v128.store(at(out, i), binaryVector(op, vs, v128.load(at(b, i))));
    for (; i < i1; i++) store<f32>(at(out, i), binaryScalar(op, s, load<f32>(at(b, i))));
  }
}

/**
 * One operand is a per-channel vector of length c broadcast over the rows of the other, a
 * [rows, c] matrix (bias-like layer code): vectorSide 0 when b is the vector, 1 when a is.
 */
export function binaryChannel(op: i32, vectorSide: i32, a: usize, b: usize, out: usize, r0: i32, r1: i32, c: i32): void {
  for (let r = r0; r < r1; r++) {
    const orow = at(out, r * c);
    const ar = vectorSide == 0 ? at(a, r * c) : a;
    const br = vectorSide == 0 ? b : at(b, r * c);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      v128.store(orow + o, binaryVector(op, v128.load(ar + o), v128.load(br + o)));
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      store<f32>(orow + o, binaryScalar(op, load<f32>(ar + o), load<f32>(br + o)));
    }
  }
}

/**
 * General broadcasting: shape, aStrides and bStrides are i32 arrays of length rank (strides 0
 * on broadcast axes); out is visited in row-major order with a running index.
 */
export function binaryBroadcast(op: i32, a: usize, b: usize, out: usize, rank: i32, shape: usize, aStrides: usize, bStrides: usize, index: usize, total: i32): void {
  if (total == 0) return;
  memory.fill(index, 0, <usize>rank << 2);
  let ia = 0;
  let ib = 0;
  const last = rank - 1;
  const lastLen = rank > 0 ? load<i32>(shape + (<usize>last << 2)) : 1;
  const sa = rank > 0 ? load<i32>(aStrides + (<usize>last << 2)) : 0;
  const sb = rank > 0 ? load<i32>(bStrides + (<usize>last << 2)) : 0;
  // The innermost axis runs as a tight loop; outer axes advance like an odometer.
  for (let i = 0; i < total; i += lastLen) {
    for (let j = 0; j < lastLen; j++) {
      store<f32>(at(out, i + j), binaryScalar(op, load<f32>(at(a, ia + j * sa)), load<f32>(at(b, ib + j * sb))));
    }
    for (let axis = last - 1; axis >= 0; axis--) {
      const p = <usize>axis << 2;
      const idx = load<i32>(index + p) + 1;
      const dim = load<i32>(shape + p);
      ia += load<i32>(aStrides + p);
      ib += load<i32>(bStrides + p);
      if (idx < dim) {
        store<i32>(index + p, idx);
        break;
      }
      store<i32>(index + p, 0);
      ia -= load<i32>(aStrides + p) * dim;
      ib -= load<i32>(bStrides + p) * dim;
    }
  }
}

/** out[j] = Σ_r x[r*inner + j], added in row order in float32 exactly as the reference does. */
export function sumRows(x: usize, out: usize, rows: i32, inner: i32): void {
  if (inner >= 4) {
    // Sixteen columns per pass over the rows, summed in registers in the reference's order (row
    // by row) rather than through memory; the last vector of a pass may overlap the one before.
    const stride = <usize>inner << 2;
    for (let c0 = 0; c0 < inner; c0 += 16) {
      const o0 = <usize>min(c0, inner - 4) << 2;
      const o1 = <usize>min(c0 + 4, inner - 4) << 2;
      const o2 = <usize>min(c0 + 8, inner - 4) << 2;
      const o3 = <usize>min(c0 + 12, inner - 4) << 2;
      let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
      let row = x;
      for (let r = 0; r < rows; r++) {
        s0 = f32x4.add(s0, v128.load(row + o0));
        s1 = f32x4.add(s1, v128.load(row + o1));
        s2 = f32x4.add(s2, v128.load(row + o2));
        s3 = f32x4.add(s3, v128.load(row + o3));
        row += stride;
      }
      v128.store(out + o0, s0);
      v128.store(out + o1, s1);
      v128.store(out + o2, s2);
      v128.store(out + o3, s3);
    }
    return;
  }
  memory.fill(out, 0, <usize>inner << 2);
  for (let r = 0; r < rows; r++) {
    const base = at(x, r * inner);
    for (let j = 0; j < inner; j++) {
      const o = at(out, j);
      store<f32>(o, load<f32>(o) + load<f32>(base + (<usize>j << 2)));
    }
  }
}

/** out[r] = Σ_j x[r*group + j], accumulated in float64 as the reference does. */
export function sumGroups(x: usize, out: usize, r0: i32, r1: i32, group: i32): void {
  for (let r = r0; r < r1; r++) {
    const base = at(x, r * group);
    let s: f64 = 0;
    for (let j = 0; j < group; j++) s += <f64>load<f32>(base + (<usize>j << 2));
    store<f32>(at(out, r), <f32>s);
  }
}

/** General reduction: outStrides (0 on reduced axes) map each x element onto its output. */
export function sumStrided(x: usize, out: usize, outSize: i32, rank: i32, shape: usize, outStrides: usize, index: usize, total: i32): void {
  memory.fill(out, 0, <usize>outSize << 2);
  if (total == 0) return;
  memory.fill(index, 0, <usize>rank << 2);
  let io = 0;
  for (let i = 0; i < total; i++) {
    const o = at(out, io);
    store<f32>(o, load<f32>(o) + load<f32>(at(x, i)));
    for (let axis = rank - 1; axis >= 0; axis--) {
      const p = <usize>axis << 2;
      const idx = load<i32>(index + p) + 1;
      const dim = load<i32>(shape + p);
      io += load<i32>(outStrides + p);
      if (idx < dim) {
        store<i32>(index + p, idx);
        break;
      }
      store<i32>(index + p, 0);
      io -= load<i32>(outStrides + p) * dim;
    }
  }
}

/** x + bias per row, or relu(x + bias) (NaN stays NaN, as the reference's v <= 0 ? 0 : v). */
export function biasAdd(x: usize, bias: usize, out: usize, r0: i32, r1: i32, c: i32, relu: bool): void {
  // Inlined with a constant flag each, so that neither loop tests it.
  if (relu) biasAddRows(x, bias, out, r0, r1, c, true);
  else biasAddRows(x, bias, out, r0, r1, c, false);
}

// @ts-ignore: decorator
@inline
function biasAddRows(x: usize, bias: usize, out: usize, r0: i32, r1: i32, c: i32, RELU: bool): void {
  const zero = f32x4.splat(0);
  for (let r = r0; r < r1; r++) {
    const xr = at(x, r * c);
    const orow = at(out, r * c);
    let j = 0;
    for (; j + 4 <= c; j += 4) {
      const o = <usize>j << 2;
      let v = f32x4.add(v128.load(xr + o), v128.load(bias + o));
      // Clearing the lanes where v <= 0 zeroes those (-0 becomes +0) and keeps NaN.
      if (RELU) v = v128.andnot(v, f32x4.le(v, zero));
      v128.store(orow + o, v);
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const v = load<f32>(xr + o) + load<f32>(bias + o);
      store<f32>(orow + o, RELU ? (v <= 0 ? 0 : v) : v);
    }
  }
}

/**
 * The index of the first NaN or ±Infinity among x[0..n), or -1. v - v is 0 for every finite v
 * and NaN otherwise, so a block of 64 whose sums of v - v are all 0 is finite; only a block that
 * is not is searched value by value.
 */
export function firstNonFinite(x: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let i = 0;
  for (; i + 64 <= n; i += 64) {
    let a = zero, b = zero, c = zero, d = zero;
    for (let k = 0; k < 64; k += 16) {
      const p = x + (<usize>(i + k) << 2);
      let v = v128.load(p);
      a = f32x4.add(a, f32x4.sub(v, v));
      v = v128.load(p, 16);
      b = f32x4.add(b, f32x4.sub(v, v));
      v = v128.load(p, 32);
      c = f32x4.add(c, f32x4.sub(v, v));
      v = v128.load(p, 48);
      d = f32x4.add(d, f32x4.sub(v, v));
    }
    const sum = f32x4.add(f32x4.add(a, b), f32x4.add(c, d));
    if (v128.any_true(f32x4.ne(sum, zero))) break;
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v - v != 0) return i;
  }
  return -1;
}
