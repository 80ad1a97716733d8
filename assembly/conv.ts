import { ConvInfo } from './conv_info';
import { gemm, GEMM_SCRATCH } from './gemm';
import { MR } from './pack';
import { at, sliceEnd, sliceStart } from './simd';
import { col2im, im2col } from './im2col';
import { FEW_GRAD_MAX_DEPTH, fewFilterGrad, fewGradScratchBytes } from './few_filter_grad';
import { DIRECT_MAX_CO, DIRECT_MAX_DEPTH, directConv2d, directFilterGrad, directScratchBytes } from './direct';
import { fewChannels, fewConv2d } from './direct_few';
import { ROWS_MAX_CO, rowsConv2d, rowsFilterGrad, rowsScratchBytes } from './direct_rows';
import { winogradApplies, winogradChannels, winogradBackpropFilter, winogradBackpropInput, winogradConv2d, winogradScratchBytes, winogradTile } from './winograd';
import { winograd4BackpropFilter, winograd4BackpropFilterChannels, winograd4BackpropInput, winograd4Conv2d, winograd4ScratchBytes } from './winograd4';

/*
 * Convolution as im2col + GEMM. Rows of the column matrix are output pixels (batch, oh, ow),
 * columns are (kh, kw, ci), so one row is a receptive field and the GEMM with the HWIO filter
 * (already a [kh*kw*ci, co] matrix) yields NHWC output directly. The column matrix is built in
 * chunks that fit a fixed scratch budget, so memory stays bounded for any image size.
 */

/** Floats of column matrix built per chunk (512 KiB). */
const COLS_BUDGET: i32 = 128 * 1024;

export { ConvInfo };

@inline function depth(c: ConvInfo): i32 {
  return c.kh * c.kw * c.ci;
}

function chunkRows(kkci: i32): i32 {
  const r = COLS_BUDGET / kkci;
  return r < MR ? MR : r - (r % MR);
}

/** Per-thread scratch bytes: GEMM packing, one column chunk, one partial filter gradient. */
function baseScratchBytes(kkci: i32, co: i32): i32 {
  const cols = max(max(COLS_BUDGET, MR * kkci) * 4, max(directScratchBytes(kkci, co), fewGradScratchBytes(kkci, co)));
  const bytes = GEMM_SCRATCH + cols + kkci * co * 4;
  return (bytes + 63) & ~63;
}

/**
 * baseScratchBytes, and past it the Winograd kernels' transforms where a 3x3 convolution with
 * these channel counts may take them (the geometry is not known here: any kkci = 9·ci whose
 * channel counts qualify gets the room).
 */
export function convScratchBytes(kkci: i32, co: i32): i32 {
  const base = baseScratchBytes(kkci, co);
  if (kkci % 9 != 0 || !winogradChannels(kkci / 9, co)) return base;
  return base + max(winogradScratchBytes(kkci / 9, co), winograd4ScratchBytes(kkci / 9, co));
}

/** Where the Winograd kernels' scratch starts in a thread's (or share's) scratch. */
@inline function winogradScratch(scratch: usize, c: ConvInfo): usize {
  return scratch + <usize>baseScratchBytes(depth(c), c.co);
}

/** The first-layer kernel of direct_few.ts, or (false) im2col + GEMM, in this instance: for one-thread comparisons. */
let useFewChannels = true;

export function setFewChannels(on: bool): void {
  useFewChannels = on;
}

/** Few channels: direct loops beat im2col + GEMM (see direct.ts). */
@inline function isDirect(c: ConvInfo): bool {
  return c.co <= DIRECT_MAX_CO && depth(c) <= DIRECT_MAX_DEPTH;
}

/** One input channel at stride 1 along the width: vectorise along the output row (see direct_rows.ts). */
@inline function isRows(c: ConvInfo): bool {
  return c.ci == 1 && c.co <= ROWS_MAX_CO && c.sw == 1 && rowsScratchBytes(c) <= COLS_BUDGET * 4;
}

@inline function isPointwise(c: ConvInfo): bool {
  return c.kh == 1 && c.kw == 1 && c.sh == 1 && c.sw == 1 && c.pt == 0 && c.pl == 0 && c.oh == c.h && c.ow == c.w;
}


/** Output rows (pixels) are split across threads; each writes only its own rows. */
export function conv2d(x: usize, w: usize, out: usize, c: ConvInfo, tid: i32, nt: i32, scratch: usize, sharedFilter: usize = 0): void {
  if (winogradApplies(c) && !(isRows(c) || isDirect(c) || (fewChannels(c) && useFewChannels))) {
    if (winogradTile() == 4) winograd4Conv2d(x, w, out, c, tid, nt, scratch, winogradScratch(scratch, c), sharedFilter);
    else winogradConv2d(x, w, out, c, tid, nt, scratch, winogradScratch(scratch, c));
    return;
  }
  const m = c.batch * c.oh * c.ow;
  convPixels(x, w, out, c, sliceStart(m, MR, tid, nt), sliceEnd(m, MR, tid, nt), scratch);
}

/**
 * Output pixels [r0, r1) (flattened batch, row, column) by a kernel that works pixel by pixel:
 * the direct kernels, or im2col + GEMM. Pixel r's channels go to out + r·co floats. Scratch is
 * a thread's convScratchBytes.
 */
export function convPixels(x: usize, w: usize, out: usize, c: ConvInfo, r0: i32, r1: i32, scratch: usize): void {
  const kkci = depth(c);
  if (isRows(c)) {
    rowsConv2d(x, w, out, c, r0, r1, scratch + GEMM_SCRATCH);
    return;
  }
  if (isDirect(c)) {
    directConv2d(x, w, out, c, r0, r1, scratch + GEMM_SCRATCH);
    return;
  }
  if (fewChannels(c) && useFewChannels) {
    fewConv2d(x, w, out, c, r0, r1);
    return;
  }
  if (isPointwise(c)) {
    gemm(x, c.ci, 1, w, c.co, 1, out, c.co, kkci, r0, r1, 0, c.co, false, scratch);
    return;
  }
  const cols = scratch + GEMM_SCRATCH;
  const step = chunkRows(kkci);
  for (let r = r0; r < r1; r += step) {
    const rows = min(step, r1 - r);
    im2col(x, c, r, rows, cols);
    gemm(cols, kkci, 1, w, c.co, 1, at(out, r * c.co), c.co, kkci, 0, rows, 0, c.co, false, scratch);
  }
}

/** Whole images are split across threads, because col2im scatters within an image. */
export function conv2dBackpropInput(dy: usize, w: usize, dx: usize, c: ConvInfo, tid: i32, nt: i32, scratch: usize, sharedFilter: usize = 0): void {
  const kkci = depth(c);
  if (winogradApplies(c)) {
    // Tiles of dx split across threads: each writes only its own pixels.
    if (winogradTile() == 4) winograd4BackpropInput(dy, w, dx, c, tid, nt, scratch, winogradScratch(scratch, c), sharedFilter);
    else winogradBackpropInput(dy, w, dx, c, tid, nt, scratch, winogradScratch(scratch, c));
    return;
  }
  const b0 = sliceStart(c.batch, 1, tid, nt);
  const b1 = sliceEnd(c.batch, 1, tid, nt);
  if (b1 <= b0) return;
  const ohw = c.oh * c.ow;
  if (isPointwise(c)) {
    // dx = dy · Wᵀ directly, since pixels map one to one.
    gemm(dy, c.co, 1, w, 1, c.co, dx, c.ci, c.co, b0 * ohw, b1 * ohw, 0, c.ci, false, scratch);
    return;
  }
  const hwc = c.h * c.w * c.ci;
  memory.fill(at(dx, b0 * hwc), 0, <usize>((b1 - b0) * hwc) << 2);
  const dcols = scratch + GEMM_SCRATCH;
  const step = chunkRows(kkci);
  const r1 = b1 * ohw;
  for (let r = b0 * ohw; r < r1; r += step) {
    const rows = min(step, r1 - r);
    gemm(at(dy, r * c.co), c.co, 1, w, 1, c.co, dcols, kkci, c.co, 0, rows, 0, kkci, false, scratch);
    col2im(dcols, c, r, rows, dx);
  }
}

/**
 * Rows are split across threads. With one thread the gradient accumulates straight into dw;
 * otherwise each thread fills its own partial in its scratch and conv2dFilterReduce adds the
 * partials in thread order, so the result depends only on the thread count.
 */
export function conv2dBackpropFilter(x: usize, dy: usize, dw: usize, c: ConvInfo, tid: i32, nt: i32, scratch: usize): void {
  const kkci = depth(c);
  const m = c.batch * c.oh * c.ow;
  const r0 = sliceStart(m, 1, tid, nt);
  const r1 = sliceEnd(m, 1, tid, nt);
  const target = nt == 1 ? dw : partialOf(scratch, kkci, c.co);
  if (isRows(c)) {
    rowsFilterGrad(x, dy, target, c, r0, r1, scratch + GEMM_SCRATCH);
    return;
  }
  if (isDirect(c)) {
    directFilterGrad(x, dy, target, c, r0, r1, scratch + GEMM_SCRATCH);
    return;
  }
  if (fewChannels(c) && useFewChannels && depth(c) <= FEW_GRAD_MAX_DEPTH) {
    fewFilterGrad(x, dy, target, c, r0, r1, scratch + GEMM_SCRATCH);
    return;
  }
  if (winogradApplies(c)) {
    if (winogradTile() == 4) winograd4BackpropFilter(x, dy, target, c, tid, nt, scratch, winogradScratch(scratch, c));
    else winogradBackpropFilter(x, dy, target, c, tid, nt, scratch, winogradScratch(scratch, c));
    return;
  }
  memory.fill(target, 0, <usize>(kkci * c.co) << 2);
  if (isPointwise(c)) {
    gemm(at(x, r0 * c.ci), 1, c.ci, at(dy, r0 * c.co), c.co, 1, target, c.co, r1 - r0, 0, kkci, 0, c.co, true, scratch);
    return;
  }
  const cols = scratch + GEMM_SCRATCH;
  const step = chunkRows(kkci);
  for (let r = r0; r < r1; r += step) {
    const rows = min(step, r1 - r);
    im2col(x, c, r, rows, cols);
    gemm(cols, 1, kkci, at(dy, r * c.co), c.co, 1, target, c.co, rows, 0, kkci, 0, c.co, true, scratch);
  }
}

/**
 * An F(4x4, 3x3) filter gradient split by output channel (winograd4.ts): each share writes its
 * own columns of dw, so there are no partials to add (the backend picks it where tiles are few).
 */
export function conv2dBackpropFilterChannels(x: usize, dy: usize, dw: usize, c: ConvInfo, tid: i32, nt: i32, scratch: usize): void {
  winograd4BackpropFilterChannels(x, dy, dw, c, tid, nt, scratch, winogradScratch(scratch, c));
}

/** Where a thread's partial filter gradient sits in its scratch (after the GEMM and column areas). */
@inline function partialOf(scratch: usize, kkci: i32, co: i32): usize {
  return scratch + GEMM_SCRATCH + <usize>max(max(COLS_BUDGET, MR * kkci) * 4, max(directScratchBytes(kkci, co), fewGradScratchBytes(kkci, co)));
}

/** dw[e] = Σ_t partial_t[e] for this thread's slice of elements, adding in thread order. */
export function conv2dFilterReduce(dw: usize, kkci: i32, co: i32, nt: i32, scratch0: usize, stride: i32, tid: i32, nth: i32): void {
  const n = kkci * co;
  const e0 = sliceStart(n, 4, tid, nth);
  const e1 = sliceEnd(n, 4, tid, nth);
  for (let e = e0; e < e1; e++) {
    let s: f32 = 0;
    for (let t = 0; t < nt; t++) s += load<f32>(at(partialOf(scratch0 + <usize>t * <usize>stride, kkci, co), e));
    store<f32>(at(dw, e), s);
  }
}
