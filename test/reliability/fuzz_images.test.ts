import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createCanvas } from '@napi-rs/canvas';
import { CliError } from '../../cli/context.js';
import { MAX_IMAGE_PIXELS, prepareImage } from '../../cli/images.js';
import { assertSpecificError, mutateAll, mutations, fuzzCheck, fuzzCheckAsync, recordInput, within } from './fuzz.js';

/*
 * Fuzzing of the images given to `convlab predict` (and `plot --image`): valid PNG, JPEG and
 * BMP files damaged byte-wise, random bytes, and small files whose headers declare huge
 * pixel counts. Each must become a [1, h, w, c] input in [0, 1] or a CliError naming the file;
 * and nothing larger than MAX_IMAGE_PIXELS is ever decoded, since the decoder allocates the
 * bitmap the header declares (a 400-byte PNG claiming 10000x10000 once cost 400 MB).
 */
const root = mkdtempSync(join(tmpdir(), 'convlab-fuzz-images-'));
after(() => rmSync(root, { recursive: true, force: true }));

const seeds: Record<string, Uint8Array> = {};
before(() => {
  const canvas = createCanvas(12, 9);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#f0f0f0';
  ctx.fillRect(0, 0, 12, 9);
  ctx.fillStyle = '#203080';
  ctx.fillRect(3, 2, 5, 5);
  seeds.png = new Uint8Array(canvas.toBuffer('image/png'));
  seeds.jpeg = new Uint8Array(canvas.toBuffer('image/jpeg'));
  seeds.webp = new Uint8Array(canvas.toBuffer('image/webp'));
});

function chunk(type: string, data: Uint8Array): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** A well-formed PNG header (valid CRCs) declaring width x height, with only a few rows of data. */
export function pngClaiming(width: number, height: number, colorType = 6): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  const row = Buffer.alloc(1 + Math.min(width, 4096) * 4);
  const idat = deflateSync(Buffer.concat([row, row, row]));
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]));
}

let counter = 0;
async function predictInput(bytes: Uint8Array, shape: [number, number, number]): Promise<void> {
  const file = join(root, `image-${counter++}`);
  recordInput(bytes, 'img');
  writeFileSync(file, bytes);
  try {
    const image = await within(10_000, 'decoding a damaged image', () => prepareImage(file, shape, 'auto', 1 / 255));
    assert.deepEqual(image.x.shape, [1, ...shape]);
    assert.ok((image.x.data as Float32Array).every((v) => v >= 0 && v <= 1));
    const [w, h] = image.originalSize;
    assert.ok(w * h <= MAX_IMAGE_PIXELS, `decoded a ${w}x${h} image, more than MAX_IMAGE_PIXELS`);
  } catch (e) {
    assertSpecificError(e, [CliError], `Cannot read image '${file}'`);
  } finally {
    rmSync(file, { force: true });
  }
}

const modelShape = fc.constantFrom<[number, number, number]>([28, 28, 1], [32, 32, 3], [5, 7, 3]);

describe('fuzz: images given to predict', () => {
  it('the untouched images decode (the corpus starts from valid files)', async () => {
    for (const bytes of Object.values(seeds)) {
      const file = join(root, `valid-${counter++}`);
      writeFileSync(file, bytes);
      const image = await prepareImage(file, [28, 28, 1], 'auto', 1 / 255);
      assert.deepEqual(image.originalSize, [12, 9]);
    }
  });

  it('damaged PNG, JPEG and WebP files and random bytes: an input or a CliError', async () => {
    await fuzzCheckAsync('image-bytes', 
      fc.asyncProperty(fc.oneof(fc.constantFrom('png', 'jpeg', 'webp').map((k) => seeds[k]), fc.uint8Array({ maxLength: 300 })), mutations(200), modelShape, async (valid, ms, shape) =>
        predictInput(mutateAll(valid, ms), shape),
      ),
      1500,
    );
  });

  it('headers declaring huge images are refused before decoding', async () => {
    const side = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 8000, max: 70000 }), fc.constantFrom(0, 8193, 16384, 0x7fffffff, 0xffffffff));
    await fuzzCheckAsync('image-huge-header', 
      fc.asyncProperty(side, side, fc.constantFrom(0, 2, 6), async (w, h, colorType) => {
        const started = Date.now();
        await predictInput(pngClaiming(w, h, colorType), [28, 28, 1]);
        assert.ok(Date.now() - started < 3000, `a ${w}x${h} header took ${Date.now() - started} ms`);
      }),
      60,
    );
  });
});
