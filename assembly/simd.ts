/*
 * Shared helpers. `madd` is the one place that chooses between relaxed SIMD's fused multiply-add
 * and plain mul+add: the build with `--enable relaxed-simd` takes the first branch, the portable
 * build the second, and the loader picks whichever build the runtime validates.
 */

@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Byte address of element i of a float32 array at base. */
@inline export function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/**
 * The slice [start, end) of `total` items that thread `tid` of `nt` owns, in whole units of
 * `align` items. The split depends only on (total, nt), which keeps results reproducible for a
 * fixed thread count.
 */
@inline export function sliceStart(total: i32, align: i32, tid: i32, nt: i32): i32 {
  const units = (total + align - 1) / align;
  const s = <i32>((<i64>units * tid) / nt) * align;
  return s < total ? s : total;
}

@inline export function sliceEnd(total: i32, align: i32, tid: i32, nt: i32): i32 {
  return sliceStart(total, align, tid + 1, nt);
}

/** Short copies inline: on shared memory memory.copy is a call out of the module, which costs more than moving a few dozen floats. */
@inline export function copyFloats(d: usize, s: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(d + (<usize>i << 2), v128.load(s + (<usize>i << 2)));
  for (; i < n; i++) store<f32>(d + (<usize>i << 2), load<f32>(s + (<usize>i << 2)));
}

export function fillZero(base: usize, n: i32): void {
  memory.fill(base, 0, <usize>n << 2);
}
