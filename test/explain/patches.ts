/**
 * A task whose answer lies in a known place: 16x16 grey images of noise with one 3x3 patch at a
 * random position; the shape drawn in the patch (a horizontal, vertical, diagonal or
 * anti-diagonal bar) is the class. Nothing outside the patch says anything about the class.
 * Each image also holds decoys: as many bright pixels as the patch has, alone and apart, so that
 * a map that merely follows brightness finds the patch only about half the time.
 */
import { Tensor } from '../../src/tensor/tensor.js';
import { Random } from '../../src/utils/random.js';

export const SIZE = 16;
export const CLASSES = ['horizontal', 'vertical', 'diagonal', 'anti-diagonal'];

/** Which of the patch's 3x3 cells are bright, per class. */
const SHAPES: number[][] = [
  [0, 0, 0, 1, 1, 1, 0, 0, 0],
  [0, 1, 0, 0, 1, 0, 0, 1, 0],
  [1, 0, 0, 0, 1, 0, 0, 0, 1],
  [0, 0, 1, 0, 1, 0, 1, 0, 0],
];

export interface PatchData {
  x: Tensor;
  y: Tensor;
  /** Top-left corner of each image's patch. */
  corners: { row: number; col: number }[];
  /** The decoy pixels of each image. */
  decoys: { row: number; col: number }[][];
}

export function patchData(n: number, seed: number, noise = 0.3, decoyCount = 3): PatchData {
  const rng = new Random(seed);
  const x = new Float32Array(n * SIZE * SIZE);
  const y = new Int32Array(n);
  const corners: { row: number; col: number }[] = [];
  const decoys: { row: number; col: number }[][] = [];
  for (let s = 0; s < n; s++) {
    const base = s * SIZE * SIZE;
    for (let i = 0; i < SIZE * SIZE; i++) x[base + i] = rng.uniform(0, noise);
    const label = rng.int(CLASSES.length);
    const row = rng.int(SIZE - 2);
    const col = rng.int(SIZE - 2);
    for (let k = 0; k < 9; k++) x[base + (row + Math.floor(k / 3)) * SIZE + col + (k % 3)] = SHAPES[label][k];
    // Lone bright pixels (three by default), at least two pixels of noise away from the patch and each other.
    const decoy: { row: number; col: number }[] = [];
    while (decoy.length < decoyCount) {
      const p = { row: rng.int(SIZE), col: rng.int(SIZE) };
      const farFromPatch = p.row < row - 3 || p.row > row + 5 || p.col < col - 3 || p.col > col + 5;
      if (farFromPatch && decoy.every((q) => Math.abs(q.row - p.row) > 2 || Math.abs(q.col - p.col) > 2)) decoy.push(p);
    }
    for (const p of decoy) x[base + p.row * SIZE + p.col] = 1;
    y[s] = label;
    corners.push({ row, col });
    decoys.push(decoy);
  }
  return { x: new Tensor(x, [n, SIZE, SIZE, 1]), y: new Tensor(y, [n]), corners, decoys };
}

/** Whether (r, c) lies on the 3x3 patch at `corner` or within `margin` pixels of it. */
export function onPatch(corner: { row: number; col: number }, r: number, c: number, margin: number): boolean {
  return r >= corner.row - margin && r <= corner.row + 2 + margin && c >= corner.col - margin && c <= corner.col + 2 + margin;
}
