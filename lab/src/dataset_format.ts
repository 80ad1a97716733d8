/**
 * The compact file the lab page loads: a subset of Fashion-MNIST as raw uint8 bytes plus a
 * JSON manifest that says where the bytes came from. Platform-neutral: the build script (Node)
 * encodes it, the page decodes it, and the tests check both ends.
 *
 * Layout of the .bin file: the segments listed in the manifest, back to back, in order.
 */

export const FORMAT = 'convlab-lab-dataset/1';

export interface Segment {
  name: 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';
  offset: number;
  length: number;
  /** Shape of the values: [n, 28, 28, 1] for images, [n] for labels. */
  shape: number[];
}

export interface Manifest {
  format: typeof FORMAT;
  dataset: string;
  classNames: string[];
  /** Where the original files were read from, as the library's loader reported it. */
  source: string;
  notes: string[];
  /** How the subset was chosen, in words shown on the page. */
  subset: string;
  /** File name of the .bin, relative to the manifest. */
  file: string;
  byteLength: number;
  /** Hex SHA-256 of the .bin, checked by the page where Web Crypto is available. */
  sha256: string;
  segments: Segment[];
}

export interface LabSplit {
  /** uint8, n * rows * cols values, row-major, 0..255. */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface LabDataset {
  manifest: Manifest;
  rows: number;
  cols: number;
  train: LabSplit;
  test: LabSplit;
}

export interface EncodeInput {
  dataset: string;
  classNames: string[];
  source: string;
  notes: string[];
  subset: string;
  file: string;
  rows: number;
  cols: number;
  train: LabSplit;
  test: LabSplit;
}

/** Packs the splits into one buffer and describes them; the caller fills in sha256. */
export function encodeLabDataset(input: EncodeInput): { manifest: Omit<Manifest, 'sha256'>; bytes: Uint8Array } {
  const { rows, cols } = input;
  const parts: [Segment['name'], Uint8Array, number[]][] = [
    ['trainImages', input.train.images, [input.train.count, rows, cols, 1]],
    ['trainLabels', input.train.labels, [input.train.count]],
    ['testImages', input.test.images, [input.test.count, rows, cols, 1]],
    ['testLabels', input.test.labels, [input.test.count]],
  ];
  const segments: Segment[] = [];
  let offset = 0;
  for (const [name, data, shape] of parts) {
    const expected = shape.reduce((a, b) => a * b, 1);
    if (data.length !== expected) throw new Error(`encodeLabDataset: ${name} has ${data.length} bytes, expected ${expected} for shape [${shape.join(', ')}]`);
    segments.push({ name, offset, length: data.length, shape });
    offset += data.length;
  }
  const bytes = new Uint8Array(offset);
  for (const [i, [, data]] of parts.entries()) bytes.set(data, segments[i].offset);
  const manifest = {
    format: FORMAT,
    dataset: input.dataset,
    classNames: input.classNames,
    source: input.source,
    notes: input.notes,
    subset: input.subset,
    file: input.file,
    byteLength: bytes.length,
    segments,
  } as const;
  return { manifest, bytes };
}

function segment(manifest: Manifest, name: Segment['name']): Segment {
  const s = manifest.segments.find((x) => x.name === name);
  if (!s) throw new Error(`Lab dataset: the manifest lists no '${name}' segment (found: ${manifest.segments.map((x) => x.name).join(', ') || 'none'})`);
  return s;
}

/** Checks the manifest against the bytes and returns views of the splits (no copies). */
export function decodeLabDataset(manifest: Manifest, bytes: Uint8Array): LabDataset {
  if (manifest.format !== FORMAT) throw new Error(`Lab dataset: expected format '${FORMAT}', the manifest says '${String(manifest.format)}'`);
  if (bytes.length !== manifest.byteLength) {
    throw new Error(`Lab dataset: ${manifest.file} has ${bytes.length} bytes, the manifest expects ${manifest.byteLength} (truncated download or stale file: rebuild with npm run build:lab)`);
  }
  const view = (name: Segment['name']): { data: Uint8Array; shape: number[] } => {
    const s = segment(manifest, name);
    const expected = s.shape.reduce((a, b) => a * b, 1);
    if (s.length !== expected || s.offset < 0 || s.offset + s.length > bytes.length) {
      throw new Error(`Lab dataset: segment '${name}' (offset ${s.offset}, ${s.length} bytes, shape [${s.shape.join(', ')}]) does not fit the ${bytes.length}-byte file`);
    }
    return { data: bytes.subarray(s.offset, s.offset + s.length), shape: s.shape };
  };
  const split = (images: Segment['name'], labels: Segment['name']): LabSplit => {
    const x = view(images);
    const y = view(labels);
    if (x.shape[0] !== y.shape[0]) throw new Error(`Lab dataset: ${images} holds ${x.shape[0]} images but ${labels} holds ${y.shape[0]} labels`);
    const classes = manifest.classNames.length;
    const bad = y.data.findIndex((v) => v >= classes);
    if (bad >= 0) throw new Error(`Lab dataset: label ${y.data[bad]} at index ${bad} of ${labels} is not a class index in [0, ${classes - 1}]`);
    return { images: x.data, labels: y.data, count: x.shape[0] };
  };
  const shape = segment(manifest, 'trainImages').shape;
  return { manifest, rows: shape[1], cols: shape[2], train: split('trainImages', 'trainLabels'), test: split('testImages', 'testLabels') };
}

/** One image as floats in [0, 1], as the lab normalises (pixels / 255). */
export function imageAt(split: LabSplit, index: number, rows: number, cols: number): Float32Array {
  if (!(Number.isInteger(index) && index >= 0 && index < split.count)) throw new Error(`Image index ${index} is out of range [0, ${split.count - 1}]`);
  const size = rows * cols;
  const out = new Float32Array(size);
  const src = split.images.subarray(index * size, (index + 1) * size);
  for (let i = 0; i < size; i++) out[i] = src[i] / 255;
  return out;
}
