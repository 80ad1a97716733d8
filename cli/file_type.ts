/**
 * What a file really is, from its first bytes (its "magic number"), not its name: so that an
 * unreadable "photo.png" is reported as "text", "an empty file" or "a PDF document" rather than
 * "unsupported file type: undefined".
 */

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

/** "a PNG image", "an empty file", "text". */
export function describeFileType(t: FileType): string {
  if (t.name === 'text' || t.name.endsWith('(text)')) return t.name;
  if (t.name === 'unknown binary') return 'binary data of no known image format';
  return `${/^(AVIF|ELF|HDF|ICO|MP[34]|empty)/.test(t.name) ? 'an' : 'a'} ${t.name}`;
}

/**
 * Why an image whose signature is right is incomplete, or null. Decoders draw what they have of a
 * truncated file and fill the rest (Skia does), so a file cut short by a failed download or copy
 * would otherwise be predicted as if it were whole; PIL refuses those too ("image file is truncated").
 */
export function truncation(b: Uint8Array, typeName: string): string | null {
  const u32be = (at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  const u32le = (at: number) => (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  const size = `${b.length} bytes`;
  if (typeName === 'PNG image') {
    // Chunks: length, type, data, CRC; the last is IEND.
    let at = 8;
    while (at + 8 <= b.length) {
      const type = String.fromCharCode(b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
      const end = at + 12 + u32be(at);
      if (end > b.length) return `cut short or damaged (${size}; its ${JSON.stringify(type)} chunk runs past the end of the file)`;
      if (type === 'IEND') return null;
      at = end;
    }
    return `cut short (${size}; it ends before the IEND chunk that closes every PNG)`;
  }
  if (typeName === 'JPEG image') {
    // The image data follows the last start-of-scan marker (FF DA) and ends with FF D9; an
    // embedded thumbnail's FF D9 comes before that start of scan.
    const last = (m: number) => {
      for (let i = b.length - 2; i >= 0; i--) if (b[i] === 0xff && b[i + 1] === m) return i;
      return -1;
    };
    const sos = last(0xda);
    if (sos < 0) return `cut short or damaged (${size}; no image data: no start-of-scan marker)`;
    if (last(0xd9) < sos) return `cut short (${size}; it ends before the end-of-image marker FF D9)`;
    return null;
  }
  if (typeName === 'WebP image') {
    const declared = u32le(4) + 8;
    return declared > b.length ? `cut short (${size} of the ${declared} its header declares)` : null;
  }
  if (typeName === 'BMP image') {
    const declared = u32le(2);
    return declared > b.length ? `cut short (${size} of the ${declared} its header declares)` : null;
  }
  return null;
}
