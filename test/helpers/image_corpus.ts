/**
 * Image folders made on the fly for tests: a messy corpus holding every oddity real folders have,
 * and small learnable class folders. Encoded with sharp (and a hand-written BMP, which sharp does
 * not write), deterministic: no randomness, fixed sizes and colours.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/** A w x h RGB image: a colour gradient with a square, so resizes and rotations are visible. */
export function pattern(w: number, h: number, hue: number): Buffer {
  const data = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const inSquare = x < w / 3 && y < h / 3;
      data[i] = inSquare ? 255 : (hue * 37 + (x * 200) / w) & 255;
      data[i + 1] = inSquare ? 255 : (hue * 91 + (y * 200) / h) & 255;
      data[i + 2] = inSquare ? 0 : (hue * 53) & 255;
    }
  }
  return data;
}

function raw(w: number, h: number, hue: number, channels: 3 | 4 = 3) {
  const rgb = pattern(w, h, hue);
  if (channels === 3) return sharp(rgb, { raw: { width: w, height: h, channels: 3 } });
  const rgba = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) {
    rgb.copy(rgba, i * 4, i * 3, i * 3 + 3);
    rgba[i * 4 + 3] = i % 2 ? 128 : 255;
  }
  return sharp(rgba, { raw: { width: w, height: h, channels: 4 } });
}

export const jpeg = (w: number, h: number, hue: number): Promise<Buffer> => raw(w, h, hue).jpeg({ quality: 90 }).toBuffer();
export const png = (w: number, h: number, hue: number): Promise<Buffer> => raw(w, h, hue).png().toBuffer();

/** An uncompressed 24-bit BMP (bottom-up rows padded to 4 bytes). */
export function bmp(w: number, h: number, hue: number): Buffer {
  const rgb = pattern(w, h, hue);
  const stride = Math.ceil((w * 3) / 4) * 4;
  const out = Buffer.alloc(54 + stride * h);
  out.write('BM', 0, 'ascii');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(54, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(w, 18);
  out.writeInt32LE(h, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(24, 28);
  out.writeUInt32LE(stride * h, 34);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = 54 + (h - 1 - y) * stride + x * 3;
      out[d] = rgb[s + 2];
      out[d + 1] = rgb[s + 1];
      out[d + 2] = rgb[s];
    }
  }
  return out;
}

function put(root: string, rel: string, bytes: Buffer | string): void {
  const path = join(root, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
}

/**
 * The messy corpus: class folders 0, 6, 14, 19, 27 (string order 0, 14, 19, 27, 6) holding
 * every case of issue 18's list. Returns what a reader must skip, by reason.
 */
export async function writeMessyCorpus(root: string): Promise<void> {
  const big = await jpeg(1600, 1200, 9);
  // Class 0: the formats and the oddities that load.
  put(root, '0/upper.JPG', await jpeg(40, 30, 1));
  put(root, '0/long.jpeg', await jpeg(30, 40, 2));
  put(root, '0/really png.jpg', await png(32, 32, 3));
  put(root, '0/grey.png', await raw(30, 30, 4).greyscale().png().toBuffer());
  put(root, '0/palette.png', await raw(30, 30, 5).png({ palette: true, colours: 16 }).toBuffer());
  put(root, '0/alpha.png', await raw(30, 30, 6, 4).png().toBuffer());
  put(root, '0/progressive.jpg', await raw(64, 48, 7).jpeg({ progressive: true }).toBuffer());
  // Stored 48 wide and 24 high with orientation 6: displayed 24 wide and 48 high.
  put(root, '0/rotated.jpg', await raw(48, 24, 8).jpeg().withMetadata({ orientation: 6 }).toBuffer());
  put(root, '0/tiny 25x25 é.png', await png(25, 25, 10));
  put(root, '0/big.jpg', big);
  put(root, '0/ünïcödé 写真.jpg', await jpeg(33, 27, 11));
  put(root, '0/duplicate.jpg', await jpeg(40, 30, 1));
  put(root, '0/anim.gif', await raw(20, 20, 12).gif().toBuffer());
  put(root, '0/image.bmp', bmp(21, 19, 13));
  // Class 6: what must be skipped, and one nested image that loads.
  put(root, '6/ok.png', await png(30, 30, 14));
  put(root, '6/nested/deeper/inner.PNG', await png(30, 30, 15));
  put(root, '6/photo.webp', await raw(30, 30, 16).webp().toBuffer());
  put(root, '6/webp inside.jpg', await raw(30, 30, 17).webp().toBuffer());
  put(root, '6/.DS_Store', Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31, 0, 0, 0x10, 0]));
  put(root, '6/Thumbs.db', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]));
  put(root, '6/._ok.png', Buffer.from([0, 5, 0x16, 0, 0, 2, 0, 0, 0x4d, 0x61, 0x63, 0x20]));
  put(root, '6/zero.jpg', Buffer.alloc(0));
  put(root, '6/notes.txt', 'not an image');
  put(root, '6/text.png', 'this is text, not a PNG');
  put(root, '6/truncated.jpg', big.subarray(0, big.length >> 1));
  const fullPng = await png(200, 200, 18);
  put(root, '6/truncated.png', fullPng.subarray(0, fullPng.length >> 1));
  // Classes 14, 19, 27: plain images.
  for (const c of ['14', '19', '27']) {
    put(root, `${c}/a.png`, await png(26, 26, Number(c)));
    put(root, `${c}/b.jpg`, await jpeg(26, 26, Number(c) + 1));
  }
  // Not classes: a hidden folder and a file at the top.
  put(root, '.hidden/x.png', await png(10, 10, 1));
  put(root, 'README.txt', 'class folders below');
}

/**
 * Learnable classes: each class a distinct colour with a little per-image variation, written as
 * PNG and JPEG alternately.
 */
export async function writeColorClasses(root: string, classes: string[], perClass: number, size = 20): Promise<void> {
  for (let c = 0; c < classes.length; c++) {
    for (let i = 0; i < perClass; i++) {
      const data = Buffer.alloc(size * size * 3);
      for (let p = 0; p < size * size; p++) {
        data[p * 3] = c === 0 ? 200 + (i % 5) * 10 : 30 + ((p + i) % 20);
        data[p * 3 + 1] = c === 1 ? 200 + (i % 5) * 10 : 30 + ((p * 7 + i) % 20);
        data[p * 3 + 2] = c === 2 ? 200 + (i % 5) * 10 : 40;
      }
      const img = sharp(data, { raw: { width: size, height: size, channels: 3 } });
      put(root, `${classes[c]}/img_${i}.${i % 2 ? 'jpg' : 'png'}`, await (i % 2 ? img.jpeg({ quality: 95 }) : img.png()).toBuffer());
    }
  }
}
