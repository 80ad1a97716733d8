/**
 * Where the image-folder pipeline's time goes, per image, on one thread (issue 18's "does not
 * starve training"), as a script run by hand under the CPU lock:
 *
 *   flock /tmp/convlab-cpu.lock node --import tsx bench/image_decode_profile.ts DIR [--size 64]
 *
 * Times each step for the first 600 images of DIR (class folders of JPEGs, e.g. those
 * bench/image_folder_speed.ts writes): reading the file, sharp's decode alone, the pipeline's
 * whole decode (decodeBytes: orientation, sRGB, convlab's resize), convlab's resize alone, and two
 * ways of getting the target size for less that were measured and not taken: libvips's resize in
 * the same sharp call (JPEG shrink-on-load included) and @napi-rs/canvas. Wall and CPU ms/image.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import sharp from 'sharp';
import { decodeBytes } from '../src/datasets/image_folder/decode.js';
import { resize } from '../src/datasets/image_folder/resize.js';

const root = process.argv[2];
if (!root) throw new Error('usage: image_decode_profile.ts DIR [--size 64]');
const at = process.argv.indexOf('--size');
const size = at > 0 ? Number(process.argv[at + 1]) : 64;
sharp.concurrency(1);
sharp.cache(false);
const files = readdirSync(root).filter((c) => !c.startsWith('.')).flatMap((c) => readdirSync(join(root, c)).map((f) => join(root, c, f))).slice(0, 600);
const bytes = files.map((f) => readFileSync(f));
const spec = { height: size, width: size, channels: 3 as const, interpolation: 'bilinear' as const, cropToAspectRatio: false };

async function time(label: string, fn: (b: Buffer, i: number) => unknown): Promise<void> {
  for (let i = 0; i < 50; i++) await fn(bytes[i % bytes.length], i);
  const t = performance.now();
  const cpu = process.cpuUsage();
  for (let i = 0; i < bytes.length; i++) await fn(bytes[i], i);
  const wall = (performance.now() - t) / bytes.length;
  const used = process.cpuUsage(cpu);
  console.log(`${label.padEnd(58)} ${wall.toFixed(3)} ms wall, ${((used.user + used.system) / 1000 / bytes.length).toFixed(3)} ms CPU per image`);
}

const first = await sharp(bytes[0]).removeAlpha().raw().toBuffer({ resolveWithObject: true });
console.log(`${files.length} images from ${root}, first ${first.info.width}x${first.info.height}; target ${size}x${size} RGB`);
await time('read the file', (_, i) => readFileSync(files[i]));
await time('sharp: decode to raw RGB', (b) => sharp(b, { failOn: 'error' }).removeAlpha().raw().toBuffer());
await time('pipeline: decodeBytes (decode, orient, sRGB, resize)', (b) => decodeBytes(b, spec));
const pixels = new Uint8Array(first.data);
await time('convlab resize alone (bilinear)', () => resize({ data: pixels, height: first.info.height, width: first.info.width, channels: 3 }, size, size, 'bilinear'));
await time('not taken: libvips resize in the sharp call', (b) => sharp(b, { failOn: 'error' }).resize(size, size, { fit: 'fill', fastShrinkOnLoad: true }).removeAlpha().raw().toBuffer());
await time('not taken: @napi-rs/canvas decode + getImageData', async (b) => {
  const img = await loadImage(b);
  const ctx = createCanvas(img.width, img.height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  return ctx.getImageData(0, 0, img.width, img.height).data;
});
