/**
 * "Your images": the classes and their pictures, independent of the DOM so Node can test it.
 *
 * Pixels are prepared exactly as `convlab predict` prepares them for a run trained on class
 * folders: RGBA from the decoder → RGB → (optionally the central crop to the target's aspect
 * ratio, Keras's smart_resize) → tf.image.resize's bilinear resize, rounded to uint8. The page
 * and Node share the code (src/datasets/image_folder/resize.ts), so a PNG gives the same input
 * tensor in both. The validation split is Keras's: NumPy's seeded shuffle of the whole list,
 * then the last int(split * n) images.
 */
import { aspectCrop, crop, fromRGBA, resize, type Image } from '../../src/datasets/image_folder/resize.js';
import { numpyShuffle } from '../../src/datasets/image_folder/numpy_shuffle.js';
import type { SplitData } from './protocol.js';

export interface ImageSettings {
  /** Height and width of the model's input, in pixels. */
  size: number;
  /** Keras's cropToAspectRatio: the central square instead of stretching. */
  crop: boolean;
}

export const CHANNELS = 3;

export interface Sample {
  /** size × size × 3 uint8, row-major (HWC). */
  pixels: Uint8Array;
  source: 'file' | 'camera';
  /** The file's path in the drop, or 'camera frame N'. */
  name: string;
}

/** Why a file was not added, with the reasons `convlab predict` and the folder loader use. */
export type SkipReason = 'empty' | 'not-an-image' | 'unsupported-format' | 'corrupt' | 'too-large';

export interface ImageClass {
  id: number;
  name: string;
  samples: Sample[];
  skipped: Partial<Record<SkipReason, number>>;
}

/** RGBA pixels of a decoded image or a video frame → the model's input pixels. */
export function preparePixels(rgba: Uint8Array | Uint8ClampedArray, height: number, width: number, settings: ImageSettings): Uint8Array {
  const bytes = rgba instanceof Uint8Array ? rgba : new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  let img: Image = fromRGBA(bytes, height, width, CHANNELS);
  if (settings.crop) img = crop(img, aspectCrop(img.height, img.width, settings.size, settings.size));
  img = resize(img, settings.size, settings.size, 'bilinear');
  return img.data === bytes ? img.data.slice() : img.data;
}

/** Problems with the class list that stop training, or null. */
export function classProblem(classes: readonly ImageClass[]): string | null {
  if (classes.length < 2) return `Add at least 2 classes (there ${classes.length === 1 ? 'is 1' : `are ${classes.length}`})`;
  const names = new Set<string>();
  for (const c of classes) {
    const name = c.name.trim();
    if (!name) return 'Every class needs a name';
    if (names.has(name)) return `Two classes are named '${name}'; class names must differ`;
    names.add(name);
    if (c.samples.length === 0) return `Class '${name}' has no images: add some, or remove the class`;
  }
  return null;
}

export interface Split {
  train: SplitData;
  validation: SplitData;
}

function pack(items: { pixels: Uint8Array; label: number }[], size: number): SplitData {
  const px = size * size * CHANNELS;
  const images = new Uint8Array(items.length * px);
  const labels = new Uint8Array(items.length);
  items.forEach((it, i) => {
    images.set(it.pixels, i * px);
    labels[i] = it.label;
  });
  return { images, labels, count: items.length };
}

/**
 * Every image in class order, shuffled with NumPy's RandomState(seed) as Keras shuffles a
 * folder's file list, then split: the last int(validationSplit * n) images validate.
 */
export function splitSamples(classes: readonly ImageClass[], size: number, validationSplit: number, seed: number): Split {
  if (!(validationSplit >= 0 && validationSplit < 1)) throw new Error(`validationSplit must be in [0, 1), received ${validationSplit}`);
  const all = classes.flatMap((c, label) => c.samples.map((s) => ({ pixels: s.pixels, label })));
  const shuffled = numpyShuffle(all, seed);
  const cut = shuffled.length - Math.trunc(validationSplit * shuffled.length);
  return { train: pack(shuffled.slice(0, cut), size), validation: pack(shuffled.slice(cut), size) };
}

export const METADATA_FILE = 'convlab.json';

/** convlab.json as `convlab train --data` writes it (cli/model_store.ts's RunMetadata), so `convlab predict` reads it. */
export interface LabRunMetadata {
  format: 'convlab-run';
  version: 1;
  model: string;
  dataset: 'folder';
  imageFolder: {
    dir: string;
    preprocessing: { imageSize: [number, number]; colorMode: 'rgb'; interpolation: 'bilinear'; cropToAspectRatio: boolean };
    validationSplit: number;
    seed: number;
    files: { training: number; validation: number };
    skipped: Record<string, number>;
  };
  classNames: string[];
  inputShape: number[];
  pixelScale: number;
  training: Record<string, unknown>;
  test?: { loss: number; accuracy: number; samples: number };
  createdAt: string;
}

export interface MetadataArgs {
  model: string;
  classes: readonly ImageClass[];
  settings: ImageSettings;
  validationSplit: number;
  seed: number;
  counts: { training: number; validation: number };
  training: Record<string, unknown>;
  validation?: { loss: number; accuracy: number; samples: number };
}

export function runMetadata(a: MetadataArgs): LabRunMetadata {
  const skipped: Record<string, number> = {};
  for (const c of a.classes) for (const [reason, n] of Object.entries(c.skipped)) skipped[reason] = (skipped[reason] ?? 0) + (n ?? 0);
  return {
    format: 'convlab-run',
    version: 1,
    model: a.model,
    dataset: 'folder',
    imageFolder: {
      dir: 'browser lab: Your images',
      preprocessing: { imageSize: [a.settings.size, a.settings.size], colorMode: 'rgb', interpolation: 'bilinear', cropToAspectRatio: a.settings.crop },
      validationSplit: a.validationSplit,
      seed: a.seed,
      files: a.counts,
      skipped,
    },
    classNames: a.classes.map((c) => c.name.trim()),
    inputShape: [a.settings.size, a.settings.size, CHANNELS],
    pixelScale: 1 / 255,
    training: a.training,
    // convlab train --data records its validation evaluation under 'test' too.
    ...(a.validation && a.validation.samples > 0 ? { test: a.validation } : {}),
    createdAt: new Date().toISOString(),
  };
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}
