import { ConvInfo } from './conv_info';
import { im2col } from './im2col';
import { at, madd } from './simd';

/*
 * Filter gradient of a few-channel convolution (direct_few.ts's geometries: a first layer's RGB
 * input, output channels in groups of 16): dw[j, o] = Σ over pixels p of cols[p, j] · dy[p, o],
 * with j = (kh, kw, ci) and depth kkci <= FEW_GRAD_MAX_DEPTH. im2col + GEMM spent most of its
 * time packing: both operands (the 27-wide column matrix and dy) are copied into panels once
 * more for a product of depth 27. Here the columns of a chunk of pixels are built into a buffer
 * that stays in L1 with its chunk of dy, and blocks of 4 j × 8 o keep their sums in eight v128
 * registers over the chunk: two dy loads and four splats per eight multiply-adds, no packing.
 */

/** Depths up to this take the kernel (a 3x3 layer of three channels is 27). */
export const FEW_GRAD_MAX_DEPTH: i32 = 36;

/** Output pixels per chunk: 128 rows of columns (18 KiB at depth 36) and of dy (8 KiB per 16 channels) in L1. */
const CHUNK: i32 = 128;

/** Scratch bytes: the chunk's columns (one spare row), then the padded sums. */
export function fewGradScratchBytes(kkci: i32, co: i32): i32 {
  return (CHUNK + 1) * kkci * 4 + ((kkci + 3) & ~3) * co * 4;
}

/** target[kkci, co] = Σ over output pixels [r0, r1) of the gradient; target is overwritten. */
export function fewFilterGrad(x: usize, dy: usize, target: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  const kkci = c.kh * c.kw * c.ci;
  const co = c.co;
  const jp = (kkci + 3) & ~3;
  const cols = scratch;
  const acc = scratch + (<usize>((CHUNK + 1) * kkci) << 2);
  memory.fill(acc, 0, <usize>(jp * co) << 2);
  // The spare row: blocks past kkci read it (zeros) instead of the next row or past the buffer.
  const colBytes = <usize>kkci << 2;
  const dyRow = <usize>co << 2;
  for (let r = r0; r < r1; r += CHUNK) {
    const rows = min(CHUNK, r1 - r);
    im2col(x, c, r, rows, cols);
    memory.fill(cols + <usize>rows * colBytes, 0, colBytes);
    const d0 = at(dy, r * co);
    for (let j = 0; j < kkci; j += 4) {
      for (let o = 0; o < co; o += 8) {
        const zero = f32x4.splat(0);
        let a0 = zero, a1 = zero, b0 = zero, b1 = zero, c0 = zero, c1 = zero, e0 = zero, e1 = zero;
        let xp = cols + (<usize>j << 2);
        let dp = d0 + (<usize>o << 2);
        for (let p = 0; p < rows; p++) {
          const u = v128.load(dp);
          const v = v128.load(dp, 16);
          let s = v128.load32_splat(xp);
          a0 = madd(s, u, a0);
          a1 = madd(s, v, a1);
          s = v128.load32_splat(xp + 4);
          b0 = madd(s, u, b0);
          b1 = madd(s, v, b1);
          s = v128.load32_splat(xp + 8);
          c0 = madd(s, u, c0);
          c1 = madd(s, v, c1);
          s = v128.load32_splat(xp + 12);
          e0 = madd(s, u, e0);
          e1 = madd(s, v, e1);
          xp += colBytes;
          dp += dyRow;
        }
        // Rows j..j+3 of the padded sums, columns o..o+7.
        let q = acc + (<usize>(j * co + o) << 2);
        v128.store(q, f32x4.add(v128.load(q), a0));
        v128.store(q, f32x4.add(v128.load(q, 16), a1), 16);
        q += dyRow;
        v128.store(q, f32x4.add(v128.load(q), b0));
        v128.store(q, f32x4.add(v128.load(q, 16), b1), 16);
        q += dyRow;
        v128.store(q, f32x4.add(v128.load(q), c0));
        v128.store(q, f32x4.add(v128.load(q, 16), c1), 16);
        q += dyRow;
        v128.store(q, f32x4.add(v128.load(q), e0));
        v128.store(q, f32x4.add(v128.load(q, 16), e1), 16);
      }
    }
  }
  memory.copy(target, acc, <usize>(kkci * co) << 2);
}
