import { at } from './simd';
import { ConvInfo } from './conv_info';
import { gemm } from './gemm';

/*
 * Winograd F(2x2, 3x3) (Lavin and Gray 2016) for 3x3 convolutions at stride 1, dilation 1.
 * Each 2x2 block of outputs ("tile") is read from a 4x4 block of input, which the transform
 * Bᵀ d B turns into 16 values per channel; the filter becomes 16 values per (in, out) channel pair
 * (G g Gᵀ). The convolution is then 16 independent GEMMs (tiles x in) · (in x out), one per
 * transformed position ξ, with 16 multiplies per tile where the direct form needs 36 (2.25x
 * fewer), and Aᵀ m A turns each tile's 16 sums back into its 2x2 outputs.
 *
 *   input gradient:  the same convolution of dy with the filter turned 180° and its channel axes
 *                    swapped, padded by 2 - pad (what col2im computed by scattering);
 *   filter gradient: dW = Gᵀ [Σ_tiles (A dY Aᵀ) ⊙ (Bᵀ d B)] G, from the identity
 *                    Σ dy·y = Σ g·dW applied to the forward form: 16 GEMMs (in x tiles) ·
 *                    (tiles x out) summed over tiles, and one output transform at the end.
 *
 * Tiles past the output's edge read zeros and their extra outputs are dropped (or, in the
 * filter gradient, their dy is zero), so odd sizes and any padding work. Channels are processed
 * four at a time, so both channel counts must be multiples of four. Tiles are cut into chunks
 * that fit a fixed scratch budget; threads (shares) take contiguous ranges of tiles.
 */

/** Below this many channels im2col + GEMM (or the direct kernels) stay: the GEMMs would be too thin. */
const MIN_CHANNELS: i32 = 16;
/** Floats of transformed input and output per chunk (2 MiB). */
const CHUNK_FLOATS: i32 = 512 * 1024;

/**
 * Output tile size of the Winograd convolutions: 4 (F(4x4, 3x3), winograd4.ts, the default), 2
 * (F(2x2, 3x3), this file) or 0 (off: im2col). Changed only by measurements that compare them
 * (setWinograd in index.ts). A module-instance global: with worker threads each worker has its
 * own, so it is for one-thread engines.
 */
let tile: i32 = 4;

export function setWinogradTile(t: i32): void {
  tile = t == 0 || t == 2 ? t : 4;
}

@inline export function winogradTile(): i32 {
  return tile;
}

/** The channel counts the kernels take (both at least MIN_CHANNELS, multiples of four). */
@inline export function winogradChannels(ci: i32, co: i32): bool {
  return ci >= MIN_CHANNELS && co >= MIN_CHANNELS && (ci & 3) == 0 && (co & 3) == 0;
}

@inline export function winogradApplies(c: ConvInfo): bool {
  return tile != 0 && c.kh == 3 && c.kw == 3 && c.sh == 1 && c.sw == 1 && c.dh == 1 && c.dw == 1 && winogradChannels(c.ci, c.co);
}

@inline function chunkTiles(maxc: i32): i32 {
  const t = CHUNK_FLOATS / (32 * maxc);
  return t < 1 ? 1 : t;
}

/** Bytes of scratch past the other convolution kernels' (see conv.ts convScratchBytes). */
export function winogradScratchBytes(ci: i32, co: i32): i32 {
  const maxc = max(ci, co);
  return (16 * ci * co + 32 * chunkTiles(maxc) * maxc) * 4 + 64;
}

/**
 * U[ξ][a][c] = (G g Gᵀ)[ξ] for g(kh, kw) = w[(kh*3 + kw)*ci*co + a*sa + c*sc] (forward: a = in,
 * c = out; input gradient: the filter turned 180° with a = out, c = in).
 */
function transformFilter(w: usize, ci: i32, co: i32, flip: bool, u: usize): void {
  const cin = flip ? co : ci;
  const cout = flip ? ci : co;
  const sa = flip ? 1 : co;
  const sc = flip ? co : 1;
  const plane = ci * co;
  const block = cin * cout;
  for (let a = 0; a < cin; a++) {
    for (let c = 0; c < cout; c++) {
      const base = a * sa + c * sc;
      // g[r][s] (turned 180° for the input gradient)
      const g00 = load<f32>(at(w, (flip ? 8 : 0) * plane + base));
      const g01 = load<f32>(at(w, (flip ? 7 : 1) * plane + base));
      const g02 = load<f32>(at(w, (flip ? 6 : 2) * plane + base));
      const g10 = load<f32>(at(w, (flip ? 5 : 3) * plane + base));
      const g11 = load<f32>(at(w, 4 * plane + base));
      const g12 = load<f32>(at(w, (flip ? 3 : 5) * plane + base));
      const g20 = load<f32>(at(w, (flip ? 2 : 6) * plane + base));
      const g21 = load<f32>(at(w, (flip ? 1 : 7) * plane + base));
      const g22 = load<f32>(at(w, (flip ? 0 : 8) * plane + base));
      // G g: 4 rows of 3
      const t00 = g00, t01 = g01, t02 = g02;
      const t10: f32 = <f32>0.5 * (g00 + g10 + g20), t11: f32 = <f32>0.5 * (g01 + g11 + g21), t12: f32 = <f32>0.5 * (g02 + g12 + g22);
      const t20: f32 = <f32>0.5 * (g00 - g10 + g20), t21: f32 = <f32>0.5 * (g01 - g11 + g21), t22: f32 = <f32>0.5 * (g02 - g12 + g22);
      const t30 = g20, t31 = g21, t32 = g22;
      const o = a * cout + c;
      storeRowG(u, o, block, 0, t00, t01, t02);
      storeRowG(u, o, block, 1, t10, t11, t12);
      storeRowG(u, o, block, 2, t20, t21, t22);
      storeRowG(u, o, block, 3, t30, t31, t32);
    }
  }
}

/** (row of G g) Gᵀ → U[4*i + 0..3]. */
@inline function storeRowG(u: usize, o: i32, block: i32, i: i32, r0: f32, r1: f32, r2: f32): void {
  const b = i * 4 * block + o;
  store<f32>(at(u, b), r0);
  store<f32>(at(u, b + block), <f32>0.5 * (r0 + r1 + r2));
  store<f32>(at(u, b + 2 * block), <f32>0.5 * (r0 - r1 + r2));
  store<f32>(at(u, b + 3 * block), r2);
}

/**
 * V[ξ][t - t0][c] = (Bᵀ d B)[ξ] for the 4x4 input blocks of tiles [t0, t0 + count): rows
 * 2*ty - pt + 0..3 and columns 2*tx - pl + 0..3 of image b (zero outside the image).
 */
function transformInput(src: usize, h: i32, w: i32, cin: i32, pt: i32, pl: i32, th: i32, tw: i32, t0: i32, count: i32, v: usize): void {
  const stride = count * cin; // floats between two ξ planes
  const zero = f32x4.splat(0);
  const tiles = th * tw;
  for (let t = t0; t < t0 + count; t++) {
    const b = t / tiles;
    const rem = t - b * tiles;
    const ty = rem / tw;
    const tx = rem - ty * tw;
    const ih = 2 * ty - pt;
    const iw = 2 * tx - pl;
    const img = src + (<usize>(b * h * w * cin) << 2);
    const rowOk0 = ih >= 0 && ih < h, rowOk1 = ih + 1 >= 0 && ih + 1 < h, rowOk2 = ih + 2 >= 0 && ih + 2 < h, rowOk3 = ih + 3 >= 0 && ih + 3 < h;
    const colOk0 = iw >= 0 && iw < w, colOk1 = iw + 1 >= 0 && iw + 1 < w, colOk2 = iw + 2 >= 0 && iw + 2 < w, colOk3 = iw + 3 >= 0 && iw + 3 < w;
    const interior = rowOk0 && rowOk3 && colOk0 && colOk3;
    const out = v + (<usize>((t - t0) * cin) << 2);
    for (let c = 0; c < cin; c += 4) {
      // p(r, s): the pixel's channel group, or zero outside the image
      let d00: v128, d01: v128, d02: v128, d03: v128, d10: v128, d11: v128, d12: v128, d13: v128;
      let d20: v128, d21: v128, d22: v128, d23: v128, d30: v128, d31: v128, d32: v128, d33: v128;
      const p = img + (<usize>((ih * w + iw) * cin + c) << 2);
      const rs = <usize>(w * cin) << 2;
      const cs = <usize>cin << 2;
      if (interior) {
        d00 = v128.load(p); d01 = v128.load(p + cs); d02 = v128.load(p + 2 * cs); d03 = v128.load(p + 3 * cs);
        d10 = v128.load(p + rs); d11 = v128.load(p + rs + cs); d12 = v128.load(p + rs + 2 * cs); d13 = v128.load(p + rs + 3 * cs);
        d20 = v128.load(p + 2 * rs); d21 = v128.load(p + 2 * rs + cs); d22 = v128.load(p + 2 * rs + 2 * cs); d23 = v128.load(p + 2 * rs + 3 * cs);
        d30 = v128.load(p + 3 * rs); d31 = v128.load(p + 3 * rs + cs); d32 = v128.load(p + 3 * rs + 2 * cs); d33 = v128.load(p + 3 * rs + 3 * cs);
      } else {
        d00 = rowOk0 && colOk0 ? v128.load(p) : zero;
        d01 = rowOk0 && colOk1 ? v128.load(p + cs) : zero;
        d02 = rowOk0 && colOk2 ? v128.load(p + 2 * cs) : zero;
        d03 = rowOk0 && colOk3 ? v128.load(p + 3 * cs) : zero;
        d10 = rowOk1 && colOk0 ? v128.load(p + rs) : zero;
        d11 = rowOk1 && colOk1 ? v128.load(p + rs + cs) : zero;
        d12 = rowOk1 && colOk2 ? v128.load(p + rs + 2 * cs) : zero;
        d13 = rowOk1 && colOk3 ? v128.load(p + rs + 3 * cs) : zero;
        d20 = rowOk2 && colOk0 ? v128.load(p + 2 * rs) : zero;
        d21 = rowOk2 && colOk1 ? v128.load(p + 2 * rs + cs) : zero;
        d22 = rowOk2 && colOk2 ? v128.load(p + 2 * rs + 2 * cs) : zero;
        d23 = rowOk2 && colOk3 ? v128.load(p + 2 * rs + 3 * cs) : zero;
        d30 = rowOk3 && colOk0 ? v128.load(p + 3 * rs) : zero;
        d31 = rowOk3 && colOk1 ? v128.load(p + 3 * rs + cs) : zero;
        d32 = rowOk3 && colOk2 ? v128.load(p + 3 * rs + 2 * cs) : zero;
        d33 = rowOk3 && colOk3 ? v128.load(p + 3 * rs + 3 * cs) : zero;
      }
      // Bᵀ d: rows (d0 - d2, d1 + d2, d2 - d1, d1 - d3), per column
      const a00 = f32x4.sub(d00, d20), a01 = f32x4.sub(d01, d21), a02 = f32x4.sub(d02, d22), a03 = f32x4.sub(d03, d23);
      const a10 = f32x4.add(d10, d20), a11 = f32x4.add(d11, d21), a12 = f32x4.add(d12, d22), a13 = f32x4.add(d13, d23);
      const a20 = f32x4.sub(d20, d10), a21 = f32x4.sub(d21, d11), a22 = f32x4.sub(d22, d12), a23 = f32x4.sub(d23, d13);
      const a30 = f32x4.sub(d10, d30), a31 = f32x4.sub(d11, d31), a32 = f32x4.sub(d12, d32), a33 = f32x4.sub(d13, d33);
      const o = out + (<usize>c << 2);
      const ps = <usize>stride << 2;
      storeRowB(o, ps, 0, a00, a01, a02, a03);
      storeRowB(o, ps, 1, a10, a11, a12, a13);
      storeRowB(o, ps, 2, a20, a21, a22, a23);
      storeRowB(o, ps, 3, a30, a31, a32, a33);
    }
  }
}

/** (row i of Bᵀ d) B → planes 4i..4i+3. */
@inline function storeRowB(o: usize, ps: usize, i: i32, r0: v128, r1: v128, r2: v128, r3: v128): void {
  const b = o + <usize>(4 * i) * ps;
  v128.store(b, f32x4.sub(r0, r2));
  v128.store(b + ps, f32x4.add(r1, r2));
  v128.store(b + 2 * ps, f32x4.sub(r2, r1));
  v128.store(b + 3 * ps, f32x4.sub(r1, r3));
}

/** Writes the 2x2 outputs Aᵀ m A of tiles [t0, t0 + count) from M[ξ][t - t0][c], inside (oh, ow) only. */
function transformOutput(m: usize, count: i32, cout: i32, th: i32, tw: i32, t0: i32, dst: usize, oh: i32, ow: i32): void {
  const ps = <usize>(count * cout) << 2;
  const tiles = th * tw;
  for (let t = t0; t < t0 + count; t++) {
    const b = t / tiles;
    const rem = t - b * tiles;
    const ty = rem / tw;
    const tx = rem - ty * tw;
    const y0 = 2 * ty, x0 = 2 * tx;
    const right = x0 + 1 < ow;
    const below = y0 + 1 < oh;
    const row0 = dst + (<usize>(((b * oh + y0) * ow + x0) * cout) << 2);
    const row1 = row0 + (<usize>(ow * cout) << 2);
    const cs = <usize>cout << 2;
    const src = m + (<usize>((t - t0) * cout) << 2);
    for (let c = 0; c < cout; c += 4) {
      const p = src + (<usize>c << 2);
      // Aᵀ m: rows (m0 + m1 + m2, m1 - m2 - m3), per column j
      const m00 = v128.load(p), m01 = v128.load(p + ps), m02 = v128.load(p + 2 * ps), m03 = v128.load(p + 3 * ps);
      const m10 = v128.load(p + 4 * ps), m11 = v128.load(p + 5 * ps), m12 = v128.load(p + 6 * ps), m13 = v128.load(p + 7 * ps);
      const m20 = v128.load(p + 8 * ps), m21 = v128.load(p + 9 * ps), m22 = v128.load(p + 10 * ps), m23 = v128.load(p + 11 * ps);
      const m30 = v128.load(p + 12 * ps), m31 = v128.load(p + 13 * ps), m32 = v128.load(p + 14 * ps), m33 = v128.load(p + 15 * ps);
      const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
      const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
      const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
      const o = <usize>c << 2;
      v128.store(row0 + o, f32x4.add(f32x4.add(s00, s01), s02));
      if (right) v128.store(row0 + cs + o, f32x4.sub(f32x4.sub(s01, s02), s03));
      if (below) {
        v128.store(row1 + o, f32x4.add(f32x4.add(s10, s11), s12));
        if (right) v128.store(row1 + cs + o, f32x4.sub(f32x4.sub(s11, s12), s13));
      }
    }
  }
}

/**
 * dst (b, oh, ow, cout) = 3x3 convolution of src (b, h, w, cin) with the transformed filter u,
 * padding (pt, pl), for tiles [t0, t1) of the output.
 */
function convolveTiles(src: usize, h: i32, w: i32, cin: i32, u: usize, dst: usize, oh: i32, ow: i32, cout: i32, pt: i32, pl: i32, t0: i32, t1: i32, gemmScratch: usize, vBuf: usize, mBuf: usize, chunk: i32): void {
  const th = (oh + 1) >> 1;
  const tw = (ow + 1) >> 1;
  for (let t = t0; t < t1; t += chunk) {
    const count = min(chunk, t1 - t);
    transformInput(src, h, w, cin, pt, pl, th, tw, t, count, vBuf);
    for (let xi = 0; xi < 16; xi++) {
      gemm(at(vBuf, xi * count * cin), cin, 1, at(u, xi * cin * cout), cout, 1, at(mBuf, xi * count * cout), cout, cin, 0, count, 0, cout, false, gemmScratch);
    }
    transformOutput(mBuf, count, cout, th, tw, t, dst, oh, ow);
  }
}

/** The start of the Winograd scratch, 64-byte aligned (winogradScratchBytes leaves room for it). */
@inline function buffers(ci: i32, co: i32, base: usize): usize {
  return (base + 63) & ~(<usize>63);
}

/** conv2d for this share's tiles; `wino` is this share's Winograd scratch, `gemmScratch` the GEMM's. */
export function winogradConv2d(x: usize, w: usize, out: usize, c: ConvInfo, tid: i32, nt: i32, gemmScratch: usize, wino: usize): void {
  const tiles = c.batch * ((c.oh + 1) >> 1) * ((c.ow + 1) >> 1);
  const t0 = sliceStartTiles(tiles, tid, nt);
  const t1 = sliceStartTiles(tiles, tid + 1, nt);
  if (t1 <= t0) return;
  const maxc = max(c.ci, c.co);
  const chunk = chunkTiles(maxc);
  const u = buffers(c.ci, c.co, wino);
  const vBuf = u + (<usize>(16 * c.ci * c.co) << 2);
  const mBuf = vBuf + (<usize>(16 * chunk * maxc) << 2);
  transformFilter(w, c.ci, c.co, false, u);
  convolveTiles(x, c.h, c.w, c.ci, u, out, c.oh, c.ow, c.co, c.pt, c.pl, t0, t1, gemmScratch, vBuf, mBuf, chunk);
}

/** conv2dBackpropInput: dx = dy convolved with the filter turned 180°, channels swapped, padding 2 - pad. */
export function winogradBackpropInput(dy: usize, w: usize, dx: usize, c: ConvInfo, tid: i32, nt: i32, gemmScratch: usize, wino: usize): void {
  const tiles = c.batch * ((c.h + 1) >> 1) * ((c.w + 1) >> 1);
  const t0 = sliceStartTiles(tiles, tid, nt);
  const t1 = sliceStartTiles(tiles, tid + 1, nt);
  if (t1 <= t0) return;
  const maxc = max(c.ci, c.co);
  const chunk = chunkTiles(maxc);
  const u = buffers(c.ci, c.co, wino);
  const vBuf = u + (<usize>(16 * c.ci * c.co) << 2);
  const mBuf = vBuf + (<usize>(16 * chunk * maxc) << 2);
  transformFilter(w, c.ci, c.co, true, u);
  convolveTiles(dy, c.oh, c.ow, c.co, u, dx, c.h, c.w, c.ci, 2 - c.pt, 2 - c.pl, t0, t1, gemmScratch, vBuf, mBuf, chunk);
}

/** Q[ξ][t - t0][c] = (A y Aᵀ)[ξ] for the 2x2 dy blocks of tiles [t0, t0 + count), zero past the output's edge. */
function transformDy(dy: usize, oh: i32, ow: i32, co: i32, th: i32, tw: i32, t0: i32, count: i32, q: usize): void {
  const ps = <usize>(count * co) << 2;
  const zero = f32x4.splat(0);
  const tiles = th * tw;
  for (let t = t0; t < t0 + count; t++) {
    const b = t / tiles;
    const rem = t - b * tiles;
    const ty = rem / tw;
    const tx = rem - ty * tw;
    const y0 = 2 * ty, x0 = 2 * tx;
    const right = x0 + 1 < ow;
    const below = y0 + 1 < oh;
    const row0 = dy + (<usize>(((b * oh + y0) * ow + x0) * co) << 2);
    const row1 = row0 + (<usize>(ow * co) << 2);
    const cs = <usize>co << 2;
    const out = q + (<usize>((t - t0) * co) << 2);
    for (let c = 0; c < co; c += 4) {
      const o = <usize>c << 2;
      const y00 = v128.load(row0 + o);
      const y01 = right ? v128.load(row0 + cs + o) : zero;
      const y10 = below ? v128.load(row1 + o) : zero;
      const y11 = below && right ? v128.load(row1 + cs + o) : zero;
      // A y: rows (y0, y0 + y1, y0 - y1, -y1), per column
      const r00 = y00, r01 = y01;
      const r10 = f32x4.add(y00, y10), r11 = f32x4.add(y01, y11);
      const r20 = f32x4.sub(y00, y10), r21 = f32x4.sub(y01, y11);
      const r30 = f32x4.neg(y10), r31 = f32x4.neg(y11);
      const p = out + o;
      storeRowA(p, ps, 0, r00, r01);
      storeRowA(p, ps, 1, r10, r11);
      storeRowA(p, ps, 2, r20, r21);
      storeRowA(p, ps, 3, r30, r31);
    }
  }
}

/** (row i of A y) Aᵀ → planes 4i..4i+3. */
@inline function storeRowA(p: usize, ps: usize, i: i32, r0: v128, r1: v128): void {
  const b = p + <usize>(4 * i) * ps;
  v128.store(b, r0);
  v128.store(b + ps, f32x4.add(r0, r1));
  v128.store(b + 2 * ps, f32x4.sub(r0, r1));
  v128.store(b + 3 * ps, f32x4.neg(r1));
}

/**
 * conv2dBackpropFilter for this share's tiles into `target` (dw itself with one share, else the
 * share's partial, which conv2dFilterReduce adds up in share order).
 */
export function winogradBackpropFilter(x: usize, dy: usize, target: usize, c: ConvInfo, tid: i32, nt: i32, gemmScratch: usize, wino: usize): void {
  const th = (c.oh + 1) >> 1;
  const tw = (c.ow + 1) >> 1;
  const tiles = c.batch * th * tw;
  const t0 = sliceStartTiles(tiles, tid, nt);
  const t1 = sliceStartTiles(tiles, tid + 1, nt);
  const ci = c.ci, co = c.co;
  const maxc = max(ci, co);
  const chunk = chunkTiles(maxc);
  const s = buffers(ci, co, wino);
  const vBuf = s + (<usize>(16 * ci * co) << 2);
  const qBuf = vBuf + (<usize>(16 * chunk * maxc) << 2);
  memory.fill(s, 0, <usize>(16 * ci * co) << 2);
  for (let t = t0; t < t1; t += chunk) {
    const count = min(chunk, t1 - t);
    transformInput(x, c.h, c.w, ci, c.pt, c.pl, th, tw, t, count, vBuf);
    transformDy(dy, c.oh, c.ow, co, th, tw, t, count, qBuf);
    for (let xi = 0; xi < 16; xi++) {
      // S[ξ] (ci x co) += V[ξ]ᵀ (ci x count) · Q[ξ] (count x co)
      gemm(at(vBuf, xi * count * ci), 1, ci, at(qBuf, xi * count * co), co, 1, at(s, xi * ci * co), co, count, 0, ci, 0, co, true, gemmScratch);
    }
  }
  // dW = Gᵀ S G, with Gᵀ = [[1, ½, ½, 0], [0, ½, -½, 0], [0, ½, ½, 1]]
  const plane = <usize>(ci * co) << 2;
  const half = f32x4.splat(0.5);
  for (let e = 0; e < ci * co; e += 4) {
    const p = s + (<usize>e << 2);
    // rows: r_i = Gᵀ applied over the first index, for each second index j
    const s00 = v128.load(p), s01 = v128.load(p + plane), s02 = v128.load(p + 2 * plane), s03 = v128.load(p + 3 * plane);
    const s10 = v128.load(p + 4 * plane), s11 = v128.load(p + 5 * plane), s12 = v128.load(p + 6 * plane), s13 = v128.load(p + 7 * plane);
    const s20 = v128.load(p + 8 * plane), s21 = v128.load(p + 9 * plane), s22 = v128.load(p + 10 * plane), s23 = v128.load(p + 11 * plane);
    const s30 = v128.load(p + 12 * plane), s31 = v128.load(p + 13 * plane), s32 = v128.load(p + 14 * plane), s33 = v128.load(p + 15 * plane);
    const a00 = f32x4.add(s00, f32x4.mul(half, f32x4.add(s10, s20))), a01 = f32x4.add(s01, f32x4.mul(half, f32x4.add(s11, s21)));
    const a02 = f32x4.add(s02, f32x4.mul(half, f32x4.add(s12, s22))), a03 = f32x4.add(s03, f32x4.mul(half, f32x4.add(s13, s23)));
    const a10 = f32x4.mul(half, f32x4.sub(s10, s20)), a11 = f32x4.mul(half, f32x4.sub(s11, s21));
    const a12 = f32x4.mul(half, f32x4.sub(s12, s22)), a13 = f32x4.mul(half, f32x4.sub(s13, s23));
    const a20 = f32x4.add(s30, f32x4.mul(half, f32x4.add(s10, s20))), a21 = f32x4.add(s31, f32x4.mul(half, f32x4.add(s11, s21)));
    const a22 = f32x4.add(s32, f32x4.mul(half, f32x4.add(s12, s22))), a23 = f32x4.add(s33, f32x4.mul(half, f32x4.add(s13, s23)));
    const d = target + (<usize>e << 2);
    storeRowGt(d, plane, 0, a00, a01, a02, a03, half);
    storeRowGt(d, plane, 1, a10, a11, a12, a13, half);
    storeRowGt(d, plane, 2, a20, a21, a22, a23, half);
  }
}

/** (row kh of Gᵀ S) G → dw[kh][0..2]. */
@inline function storeRowGt(d: usize, plane: usize, kh: i32, r0: v128, r1: v128, r2: v128, r3: v128, half: v128): void {
  const b = d + <usize>(3 * kh) * plane;
  const mid = f32x4.mul(half, f32x4.add(r1, r2));
  v128.store(b, f32x4.add(r0, mid));
  v128.store(b + plane, f32x4.mul(half, f32x4.sub(r1, r2)));
  v128.store(b + 2 * plane, f32x4.add(r3, mid));
}

@inline function sliceStartTiles(total: i32, tid: i32, nt: i32): i32 {
  const s = <i32>((<i64>total * tid) / nt);
  return s < total ? s : total;
}
