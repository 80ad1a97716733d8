/**
 * What a file really is, from its first bytes (its "magic number"), not its name: so that an
 * unreadable "photo.png" is reported as "text", "an empty file" or "a PDF document" rather than
 * "unsupported file type: undefined". The signatures are the image folders' (one table for both).
 */
import { sniffFileType, type FileType } from '../src/datasets/image_folder/sniff.js';

export { sniffFileType, type FileType };

/** "a PNG image", "an empty file", "text". */
export function describeFileType(t: FileType): string {
  if (t.name === 'text' || t.name.endsWith('(text)')) return t.name;
  if (t.name === 'unknown binary') return 'binary data of no known image format';
  return `${/^(AVIF|AppleDouble|ELF|HDF|ICO|MP[34]|empty)/.test(t.name) ? 'an' : 'a'} ${t.name}`;
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
