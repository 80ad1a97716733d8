/**
 * What a file holds, from its first bytes: images are decoded by content, not by extension, so
 * a PNG named `.jpg` loads and a text file named `.png` is skipped with a reason.
 */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'bmp';

export type Sniffed = { format: ImageFormat } | { format: null; what: string };

/** Bytes needed to tell the formats apart. */
export const SNIFF_BYTES = 16;

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}

export function sniffImage(head: Uint8Array): Sniffed {
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return { format: 'jpeg' };
  if (head.length >= 8 && head[0] === 0x89 && ascii(head, 1, 4) === 'PNG' && head[4] === 0x0d && head[5] === 0x0a) return { format: 'png' };
  if (head.length >= 6 && (ascii(head, 0, 6) === 'GIF87a' || ascii(head, 0, 6) === 'GIF89a')) return { format: 'gif' };
  if (head.length >= 14 && ascii(head, 0, 2) === 'BM') return { format: 'bmp' };
  // Formats worth naming in the skip summary (Keras's decoder reads none of them).
  if (head.length >= 12 && ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 12) === 'WEBP') return { format: null, what: 'WebP' };
  if (head.length >= 12 && ascii(head, 4, 8) === 'ftyp') return { format: null, what: 'HEIF/AVIF/MP4' };
  if (head.length >= 4 && (ascii(head, 0, 4) === 'II*\0' || ascii(head, 0, 4) === 'MM\0*')) return { format: null, what: 'TIFF' };
  if (head.length >= 4 && ascii(head, 0, 4) === '%PDF') return { format: null, what: 'PDF' };
  if (head.length >= 4 && head[0] === 0 && head[1] === 5 && head[2] === 0x16 && head[3] === 0) return { format: null, what: 'AppleDouble metadata' };
  return { format: null, what: 'not an image' };
}
