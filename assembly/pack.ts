/*
 * Panel packing for gemm.ts. A is packed into panels of MR rows laid out [p][MR] and B into
 * panels of NR columns laid out [p][NR], so the micro-kernel reads both with unit stride.
 * Operands arrive through row and column strides (a transposed operand is just other strides).
 * Each layout has one copy that is a plain vector copy (A stored column-major, B row-major) and
 * one that needs a transpose (A row-major, B column-major): that one loads four consecutive
 * values of the depth from each of four rows or columns and transposes the 4x4 block in
 * registers, instead of moving one float at a time through strided addresses.
 */

export const MR: i32 = 6;
export const NR: i32 = 8;

/** Column q (0-3) of the 4x4 block whose rows are r0..r3: lane q of each row. */
@inline function column0(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), 0, 1, 4, 5);
}

@inline function column1(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), 2, 3, 6, 7);
}

@inline function column2(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), v128.shuffle<f32>(r2, r3, 2, 6, 3, 7), 0, 1, 4, 5);
}

@inline function column3(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), v128.shuffle<f32>(r2, r3, 2, 6, 3, 7), 2, 3, 6, 7);
}

/** Packs B[pc:pc+kc, jc:jc+nc] into NR-column panels at dst; columns past nc are zero. */
export function packB(b: usize, rsB: i32, csB: i32, pc: i32, kc: i32, jc: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    let d = dst + (<usize>(jr * kc) << 2);
    let p = 0;
    if (nr == NR && csB == 1) {
      let src = b + (<usize>(pc * rsB + jc + jr) << 2);
      const step = <usize>rsB << 2;
      for (; p < kc; p++) {
        v128.store(d, v128.load(src));
        v128.store(d, v128.load(src, 16), 16);
        src += step;
        d += 32;
      }
    } else if (nr == NR && rsB == 1) {
      // B stored column-major (a transposed operand): each column is contiguous along p.
      const col = <usize>csB << 2;
      let src = b + (<usize>(pc + (jc + jr) * csB) << 2);
      for (; p + 4 <= kc; p += 4) {
        const c0 = v128.load(src), c1 = v128.load(src + col), c2 = v128.load(src + 2 * col), c3 = v128.load(src + 3 * col);
        const c4 = v128.load(src + 4 * col), c5 = v128.load(src + 5 * col), c6 = v128.load(src + 6 * col), c7 = v128.load(src + 7 * col);
        v128.store(d, column0(c0, c1, c2, c3));
        v128.store(d, column0(c4, c5, c6, c7), 16);
        v128.store(d, column1(c0, c1, c2, c3), 32);
        v128.store(d, column1(c4, c5, c6, c7), 48);
        v128.store(d, column2(c0, c1, c2, c3), 64);
        v128.store(d, column2(c4, c5, c6, c7), 80);
        v128.store(d, column3(c0, c1, c2, c3), 96);
        v128.store(d, column3(c4, c5, c6, c7), 112);
        src += 16;
        d += 128;
      }
    }
    for (; p < kc; p++) {
      const row = (pc + p) * rsB;
      for (let jj = 0; jj < NR; jj++) {
        store<f32>(d + (<usize>jj << 2), jj < nr ? load<f32>(b + (<usize>(row + (jc + jr + jj) * csB) << 2)) : 0);
      }
      d += 32;
    }
  }
}

/** Packs A[ic:ic+mc, pc:pc+kc] into MR-row panels at dst; rows past mc are zero. */
export function packA(a: usize, rsA: i32, csA: i32, ic: i32, mc: i32, pc: i32, kc: i32, dst: usize): void {
  const panel = MR << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    let d = dst + (<usize>(ir * kc) << 2);
    if (mr == MR && rsA == 1) {
      // A stored column-major (a transposed operand): six rows are a vector and a pair.
      let src = a + (<usize>(ic + ir + pc * csA) << 2);
      const step = <usize>csA << 2;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(src));
        store<u64>(d, load<u64>(src, 16), 16);
        src += step;
        d += panel;
      }
      continue;
    }
    let p = 0;
    if (mr == MR && csA == 1) {
      // A stored row-major: rows 0-3 of each four depths are a 4x4 transpose, rows 4-5 pairs.
      const row = <usize>rsA << 2;
      let src = a + (<usize>((ic + ir) * rsA + pc) << 2);
      for (; p + 4 <= kc; p += 4) {
        const r0 = v128.load(src), r1 = v128.load(src + row), r2 = v128.load(src + 2 * row), r3 = v128.load(src + 3 * row);
        const r4 = v128.load(src + 4 * row), r5 = v128.load(src + 5 * row);
        const pairsLo = v128.shuffle<f32>(r4, r5, 0, 4, 1, 5);
        const pairsHi = v128.shuffle<f32>(r4, r5, 2, 6, 3, 7);
        v128.store(d, column0(r0, r1, r2, r3));
        v128.store64_lane(d, pairsLo, 0, 16);
        v128.store(d, column1(r0, r1, r2, r3), 24);
        v128.store64_lane(d, pairsLo, 1, 40);
        v128.store(d, column2(r0, r1, r2, r3), 48);
        v128.store64_lane(d, pairsHi, 0, 64);
        v128.store(d, column3(r0, r1, r2, r3), 72);
        v128.store64_lane(d, pairsHi, 1, 88);
        src += 16;
        d += 4 * panel;
      }
    }
    if (p == kc) continue;
    for (let ii = 0; ii < MR; ii++) {
      let o = d + (<usize>ii << 2);
      if (ii < mr) {
        const row = (ic + ir + ii) * rsA;
        for (let q = p; q < kc; q++) {
          store<f32>(o, load<f32>(a + (<usize>(row + (pc + q) * csA) << 2)));
          o += panel;
        }
      } else {
        for (let q = p; q < kc; q++) {
          store<f32>(o, 0);
          o += panel;
        }
      }
    }
  }
}
