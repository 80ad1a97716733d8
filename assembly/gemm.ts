import { madd } from './simd';
import { MR, NR, packA, packB } from './pack';

/*
 * Packed GEMM after Goto & van de Geijn: B is packed into KC x NC blocks of 8-column panels and
 * A into MC x KC blocks of 6-row panels, so the micro-kernel streams both from L1/L2 with unit
 * stride. The 6x8 tile keeps twelve v128 accumulators, two B vectors and one A splat in
 * registers (x64 V8 has 16 xmm registers; 8x8 spills). Twelve independent sums also cover the
 * fused multiply-add's latency on both pipes, which the 4x8 tile's eight did not. Operands are
 * addressed through row and column strides, so transposed inputs cost nothing extra: the packing
 * absorbs them (pack.ts).
 */

const KC: i32 = 256;
const MC: i32 = 120;
const NC: i32 = 1024;

/** Bytes of per-thread scratch one gemm call needs. */
export const GEMM_SCRATCH: i32 = (MC * KC + KC * NC + MR * NR) * 4;

@inline function storeRow(o: usize, acc: bool, lo: v128, hi: v128): void {
  if (acc) {
    v128.store(o, f32x4.add(v128.load(o), lo));
    v128.store(o, f32x4.add(v128.load(o, 16), hi), 16);
  } else {
    v128.store(o, lo);
    v128.store(o, hi, 16);
  }
}

/** C[6x8 tile] (+)= Apanel · Bpanel; a partial tile goes through `tile` and is copied out. */
function micro(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, acc: bool, mr: i32, nr: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    let a = v128.load32_splat(ap);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(ap, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(ap, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(ap, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    a = v128.load32_splat(ap, 16);
    c40 = madd(a, b0, c40);
    c41 = madd(a, b1, c41);
    a = v128.load32_splat(ap, 20);
    c50 = madd(a, b0, c50);
    c51 = madd(a, b1, c51);
    ap += 24;
    bp += 32;
  }
  const ld = <usize>ldc << 2;
  if (mr == MR && nr == NR) {
    storeRow(c, acc, c00, c01);
    storeRow(c + ld, acc, c10, c11);
    storeRow(c + 2 * ld, acc, c20, c21);
    storeRow(c + 3 * ld, acc, c30, c31);
    storeRow(c + 4 * ld, acc, c40, c41);
    storeRow(c + 5 * ld, acc, c50, c51);
    return;
  }
  v128.store(tile, c00); v128.store(tile, c01, 16);
  v128.store(tile, c10, 32); v128.store(tile, c11, 48);
  v128.store(tile, c20, 64); v128.store(tile, c21, 80);
  v128.store(tile, c30, 96); v128.store(tile, c31, 112);
  v128.store(tile, c40, 128); v128.store(tile, c41, 144);
  v128.store(tile, c50, 160); v128.store(tile, c51, 176);
  for (let i = 0; i < mr; i++) {
    const row = c + <usize>i * ld;
    const t = tile + (<usize>(i * NR) << 2);
    for (let j = 0; j < nr; j++) {
      const o = row + (<usize>j << 2);
      const v = load<f32>(t + (<usize>j << 2));
      store<f32>(o, acc ? load<f32>(o) + v : v);
    }
  }
}

/**
 * C[i0:i1, j0:j1] (+)= A · B over the full depth k, where A(i,p) = a[i*rsA + p*csA],
 * B(p,j) = b[p*rsB + j*csB] and C is row-major with leading dimension ldc (all in elements).
 */
export function gemm(
  a: usize, rsA: i32, csA: i32,
  b: usize, rsB: i32, csB: i32,
  c: usize, ldc: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32,
  accumulate: bool, scratch: usize,
): void {
  if (i1 <= i0 || j1 <= j0) return;
  if (k == 0) {
    if (!accumulate) {
      for (let i = i0; i < i1; i++) memory.fill(c + (<usize>(i * ldc + j0) << 2), 0, <usize>(j1 - j0) << 2);
    }
    return;
  }
  const pa = scratch;
  const pb = pa + (<usize>(MC * KC) << 2);
  const tile = pb + (<usize>(KC * NC) << 2);
  for (let jc = j0; jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const acc = accumulate || pc > 0;
      packB(b, rsB, csB, pc, kc, jc, nc, pb);
      for (let ic = i0; ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packA(a, rsA, csA, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = pb + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const cp = c + (<usize>((ic + ir) * ldc + jc + jr) << 2);
            micro(kc, pa + (<usize>(ir * kc) << 2), bp, cp, ldc, acc, min(MR, mc - ir), nr, tile);
          }
        }
      }
    }
  }
}

/** Floats of a (k x n) B packed for gemmPacked: NR-column panels over the full depth. */
export function packedBFloats(k: i32, n: i32): i32 {
  return ((n + NR - 1) / NR) * NR * k;
}

/**
 * As gemm, with B packed beforehand: NR-column panels over the full depth k, laid out
 * [panel][p][NR] and zero past the last column (winograd4.ts writes its transformed filters so,
 * once per call, instead of every GEMM packing them again for every chunk of tiles). j0 is a
 * multiple of NR. The blocking over the depth is gemm's, so C gets exactly gemm's floats.
 */
export function gemmPacked(
  a: usize, rsA: i32, csA: i32,
  bp: usize,
  c: usize, ldc: i32, k: i32,
  i0: i32, i1: i32, j0: i32, j1: i32,
  accumulate: bool, scratch: usize,
): void {
  if (i1 <= i0 || j1 <= j0) return;
  if (k == 0) {
    if (!accumulate) {
      for (let i = i0; i < i1; i++) memory.fill(c + (<usize>(i * ldc + j0) << 2), 0, <usize>(j1 - j0) << 2);
    }
    return;
  }
  const pa = scratch;
  const tile = pa + (<usize>(MC * KC + KC * NC) << 2);
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const acc = accumulate || pc > 0;
    for (let ic = i0; ic < i1; ic += MC) {
      const mc = min(MC, i1 - ic);
      packA(a, rsA, csA, ic, mc, pc, kc, pa);
      for (let jr = j0; jr < j1; jr += NR) {
        const nr = min(NR, j1 - jr);
        const panel = bp + (<usize>(jr * k + pc * NR) << 2);
        for (let ir = 0; ir < mc; ir += MR) {
          const cp = c + (<usize>((ic + ir) * ldc + jr) << 2);
          micro(kc, pa + (<usize>(ir * kc) << 2), panel, cp, ldc, acc, min(MR, mc - ir), nr, tile);
        }
      }
    }
  }
}
