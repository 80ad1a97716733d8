/**
 * What a file holds, from its first bytes (its "magic number"), not its name. One table serves
 * both users: the image folders (`sniffImage`: images are decoded by content, so a PNG named
 * `.jpg` loads and a text file named `.png` is skipped with a reason) and the CLI's messages
 * about files it cannot read (`sniffFileType`, re-exported by cli/file_type.ts: "a PDF document"
 * rather than "unsupported file type").
 */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'bmp';

export type Sniffed = { format: ImageFormat } | { format: null; what: string };

/** Bytes the image folders read to tell the formats apart (a BMP's header needs 26). */
export const SNIFF_BYTES = 32;

interface Signature {
  name: string;
  /** Whether convlab decodes this kind (Skia, through @napi-rs/canvas). */
  image: boolean;
  test: (b: Uint8Array) => boolean;
}

const ascii = (b: Uint8Array, at: number, s: string) => s.split('').every((ch, i) => b[at + i] === ch.charCodeAt(0));
const bytes = (b: Uint8Array, at: number, sig: number[]) => sig.every((v, i) => b[at + i] === v);

const SIGNATURES: Signature[] = [
  { name: 'PNG image', image: true, test: (b) => bytes(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { name: 'JPEG image', image: true, test: (b) => bytes(b, 0, [0xff, 0xd8, 0xff]) },
  { name: 'GIF image', image: true, test: (b) => ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a') },
  { name: 'WebP image', image: true, test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP') },
  { name: 'BMP image', image: true, test: (b) => ascii(b, 0, 'BM') && b.length >= 26 },
  { name: 'TIFF image', image: false, test: (b) => bytes(b, 0, [0x49, 0x49, 0x2a, 0x00]) || bytes(b, 0, [0x4d, 0x4d, 0x00, 0x2a]) },
  { name: 'AVIF image', image: false, test: (b) => ascii(b, 4, 'ftyp') && (ascii(b, 8, 'avif') || ascii(b, 8, 'avis')) },
  { name: 'HEIC image', image: false, test: (b) => ascii(b, 4, 'ftyp') && ['heic', 'heix', 'hevc', 'mif1', 'msf1'].some((t) => ascii(b, 8, t)) },
  { name: 'MP4/QuickTime video', image: false, test: (b) => ascii(b, 4, 'ftyp') },
  { name: 'ICO icon', image: true, test: (b) => bytes(b, 0, [0x00, 0x00, 0x01, 0x00]) && b.length > 6 },
  { name: 'PDF document', image: false, test: (b) => ascii(b, 0, '%PDF-') },
  { name: 'ZIP archive', image: false, test: (b) => bytes(b, 0, [0x50, 0x4b, 0x03, 0x04]) || bytes(b, 0, [0x50, 0x4b, 0x05, 0x06]) },
  { name: 'gzip data', image: false, test: (b) => bytes(b, 0, [0x1f, 0x8b]) },
  { name: 'HDF5 file', image: false, test: (b) => bytes(b, 0, [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { name: 'ELF executable', image: false, test: (b) => bytes(b, 0, [0x7f, 0x45, 0x4c, 0x46]) },
  { name: 'WAV audio', image: false, test: (b) => ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE') },
  { name: 'MP3 audio', image: false, test: (b) => ascii(b, 0, 'ID3') },
  // macOS's "._photo.jpg" files beside the real ones on FAT drives and in zip archives
  // (AppleDouble, 00 05 16 07; AppleSingle, 00 05 16 00, is taken for the same).
  { name: 'AppleDouble metadata', image: false, test: (b) => bytes(b, 0, [0x00, 0x05, 0x16]) && (b[3] === 0x07 || b[3] === 0x00) },
];

export interface FileType {
  /** e.g. 'PNG image', 'text', 'empty file', 'unknown binary'. */
  name: string;
  /** Whether it is a kind of image convlab can decode. */
  decodable: boolean;
}

/** Identifies `b` (the first few hundred bytes are enough) by its signature, else as text or binary. */
export function sniffFileType(b: Uint8Array): FileType {
  if (b.length === 0) return { name: 'empty file', decodable: false };
  for (const s of SIGNATURES) if (s.test(b)) return { name: s.name, decodable: s.image };
  const head = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 512)).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return { name: 'SVG image (text)', decodable: false };
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return { name: 'HTML page (text)', decodable: false };
  if (looksLikeText(b.subarray(0, 4096))) return { name: 'text', decodable: false };
  return { name: 'unknown binary', decodable: false };
}

/** UTF-8 (or ASCII) without control characters other than tab, newline, carriage return, form feed. */
function looksLikeText(b: Uint8Array): boolean {
  for (const v of b) if (v < 0x20 && v !== 0x09 && v !== 0x0a && v !== 0x0d && v !== 0x0c) return false;
  try {
    // A multi-byte character cut by the 4096-byte window is not a reason to call it binary.
    new TextDecoder('utf-8', { fatal: true }).decode(b.length === 4096 ? b.subarray(0, 4090) : b);
    return true;
  } catch {
    return false;
  }
}

/** The formats Keras's image_dataset_from_directory decodes, by their names in the table. */
const KERAS_FORMATS: Record<string, ImageFormat> = { 'JPEG image': 'jpeg', 'PNG image': 'png', 'GIF image': 'gif', 'BMP image': 'bmp' };

/** Formats worth naming in the image folders' skip summary (Keras's decoder reads none of them). */
const NAMED: Record<string, string> = {
  'WebP image': 'WebP',
  'HEIC image': 'HEIF/AVIF/MP4',
  'AVIF image': 'HEIF/AVIF/MP4',
  'MP4/QuickTime video': 'HEIF/AVIF/MP4',
  'TIFF image': 'TIFF',
  'PDF document': 'PDF',
  'AppleDouble metadata': 'AppleDouble metadata',
};

/** A Keras image format, or what the file is instead ('not an image' for everything unnamed). */
export function sniffImage(head: Uint8Array): Sniffed {
  const { name } = sniffFileType(head);
  const format = KERAS_FORMATS[name];
  return format ? { format } : { format: null, what: NAMED[name] ?? 'not an image' };
}
