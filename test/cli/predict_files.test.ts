/**
 * Issue 16, item 7 (and issue 18's predict): `convlab predict` goes on past unreadable files,
 * says what each one really is, predicts the rest, exits 1 at the end; directories are searched
 * recursively; --csv writes one row per file. Needs no dataset: the model is an untrained lab CNN.
 */
import assert from 'node:assert/strict';
import { existsSync, promises as fsp, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { createCanvas } from '@napi-rs/canvas';
import { sniffFileType, truncation } from '../../cli/file_type.js';
import { saveModel, writeMetadata } from '../../cli/model_store.js';
import { classNamesOf } from '../../cli/data.js';
import { setSeed } from '../../src/utils/random.js';
import { zoo } from '../../src/zoo/index.js';
import { rmrf, run, tempDir } from './helpers.js';

let dir = '';
let model = '';
let photos = '';

/** A 28x28 picture with a seeded pattern, as PNG or JPEG. */
function picture(seed: number, mime: 'image/png' | 'image/jpeg'): Buffer {
  const c = createCanvas(28, 28);
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, 28, 28);
  ctx.fillStyle = '#fff';
  ctx.fillRect(4 + (seed % 7), 3, 8 + (seed % 11), 20 - (seed % 5));
  return mime === 'image/png' ? c.toBuffer('image/png') : c.toBuffer('image/jpeg');
}

before(async () => {
  dir = tempDir();
  model = path.join(dir, 'model');
  setSeed(5);
  const m = zoo.entry('lab-cnn').create({ inputShape: [28, 28, 1], numClasses: 10 });
  await saveModel(m, model);
  await writeMetadata(model, { model: 'lab-cnn', dataset: 'fashion-mnist', classNames: classNamesOf('fashion-mnist'), inputShape: [28, 28, 1] });
  photos = path.join(dir, 'photos');
  await fsp.mkdir(path.join(photos, 'shirts', 'more'), { recursive: true });
  await fsp.mkdir(path.join(photos, '.hidden'));
  await fsp.writeFile(path.join(photos, 'a.png'), picture(1, 'image/png'));
  await fsp.writeFile(path.join(photos, 'shirts', 'B.JPG'), picture(2, 'image/jpeg'));
  await fsp.writeFile(path.join(photos, 'shirts', 'more', 'c.jpeg'), picture(3, 'image/jpeg'));
  await fsp.writeFile(path.join(photos, 'shirts', 'notes.txt'), 'not an image, not listed');
  await fsp.writeFile(path.join(photos, '.DS_Store'), Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31]));
  await fsp.writeFile(path.join(photos, '.hidden', 'd.png'), picture(4, 'image/png'));
  // Unreadable files named as images, as real folders have them.
  await fsp.writeFile(path.join(photos, 'shirts', 'empty.png'), '');
  await fsp.writeFile(path.join(dir, 'readme.png'), 'hello, I am text\n');
  await fsp.writeFile(path.join(dir, 'cut.png'), picture(5, 'image/png').subarray(0, 60));
  const jpeg = picture(7, 'image/jpeg');
  await fsp.writeFile(path.join(photos, 'shirts', 'half.jpg'), jpeg.subarray(0, jpeg.length - 40));
  await fsp.writeFile(path.join(dir, 'scan.jpg'), '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n');
  const noise = Buffer.alloc(300);
  for (let i = 0, s = 7; i < noise.length; i++) noise[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
  noise[0] = 0x00;
  await fsp.writeFile(path.join(dir, 'noise.bmp'), noise);
  await fsp.writeFile(path.join(dir, 'good.png'), picture(6, 'image/png'));
  await fsp.mkdir(path.join(dir, 'no-images'));
  await fsp.writeFile(path.join(dir, 'no-images', 'x.txt'), 'x');
});
after(() => rmrf(dir));

test('file types from the first bytes', () => {
  const t = (bytes: number[] | string) => sniffFileType(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : Uint8Array.from(bytes)).name;
  assert.equal(t([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]), 'PNG image');
  assert.equal(t([0xff, 0xd8, 0xff, 0xe0]), 'JPEG image');
  assert.equal(t('GIF89a....'), 'GIF image');
  assert.equal(t('RIFF\0\0\0\0WEBPVP8 '), 'WebP image');
  assert.equal(t(`BM${'\0'.repeat(30)}`), 'BMP image');
  assert.equal(t('\0\0\0\x18ftypheic'), 'HEIC image');
  assert.equal(t('%PDF-1.7'), 'PDF document');
  assert.equal(t([0x50, 0x4b, 0x03, 0x04]), 'ZIP archive');
  assert.equal(t('hello\n'), 'text');
  assert.equal(t('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'SVG image (text)');
  assert.equal(t([]), 'empty file');
  assert.equal(t([0, 1, 2, 3, 0xfe, 0x80]), 'unknown binary');
  const png = picture(8, 'image/png');
  assert.equal(truncation(png, 'PNG image'), null);
  assert.equal(truncation(Buffer.concat([png, Buffer.from('trailing bytes')]), 'PNG image'), null);
  assert.match(truncation(png.subarray(0, png.length - 12), 'PNG image')!, /ends before the IEND chunk/);
  const jpeg = picture(8, 'image/jpeg');
  assert.equal(truncation(jpeg, 'JPEG image'), null);
  assert.match(truncation(jpeg.subarray(0, jpeg.length - 2), 'JPEG image')!, /end-of-image marker/);
});

test('predict goes on past unreadable files, names what they are, and exits 1 at the end', async () => {
  const files = ['good.png', 'readme.png', 'missing.png', 'cut.png', 'scan.jpg', 'noise.bmp', 'no-images'].map((f) => path.join(dir, f));
  const r = await run('predict', model, files[0], ...files.slice(1, 6), photos, files[6]);
  assert.equal(r.code, 1);
  const err = r.stderr.split('\n');
  const q = (f: string) => path.join(dir, f).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(err[0], new RegExp(`^convlab: error: Cannot read image '${q('readme.png')}': it is text, not a PNG, JPEG, WebP, GIF or BMP image$`));
  assert.match(err[1], new RegExp(`^convlab: error: Cannot read image '${q('missing.png')}': no such file$`));
  assert.match(err[2], new RegExp(`^convlab: error: Cannot read image '${q('cut.png')}': it is a PNG image cut short or damaged \\(60 bytes; its "\\w+" chunk runs past the end of the file\\)$`));
  assert.match(err[3], new RegExp(`^convlab: error: Cannot read image '${q('scan.jpg')}': it is a PDF document, not a PNG, JPEG, WebP, GIF or BMP image$`));
  assert.match(err[4], new RegExp(`^convlab: error: Cannot read image '${q('noise.bmp')}': it is binary data of no known image format, not a PNG, JPEG, WebP, GIF or BMP image$`));
  assert.match(err[5], new RegExp(`^convlab: error: Cannot read image '${q('photos/shirts/empty.png')}': it is an empty file \\(0 bytes\\)$`));
  assert.match(err[6], new RegExp(`^convlab: error: Cannot read image '${q('photos/shirts/half.jpg')}': it is a JPEG image cut short \\(\\d+ bytes; it ends before the end-of-image marker FF D9\\)$`));
  assert.match(err[7], new RegExp(`^convlab: error: Cannot read '${q('no-images')}': a directory with no image files in it or below it`));
  assert.equal(err[8], 'convlab: error: 8 of 12 files could not be read (listed above); 4 predicted');
  assert.equal(err.length, 9);
  assert.doesNotMatch(r.stderr, /undefined/);
  // The good file, then the folder's images in string order (hidden ones and .txt left out).
  const out = r.stdout.split('\n');
  assert.equal(out.length, 4, r.stdout);
  assert.match(out[0], /^good\.png:\s+\S.* \(\d+\.\d%\)  top-3: /);
  for (const [i, f] of ['a.png', 'shirts/B.JPG', 'shirts/more/c.jpeg'].entries()) assert.ok(out[i + 1].startsWith(`${path.join(photos, f)}: `), out[i + 1]);
});

test('predict --csv: one row per file, the error in its place; --json lists the failures too', async () => {
  const csv = path.join(dir, 'out', 'predictions.csv'); // out/ is made by predict
  const good = path.join(dir, 'good.png');
  const bad = path.join(dir, 'readme.png');
  let r = await run('predict', model, good, bad, photos, '--csv', csv, '--json');
  assert.equal(r.code, 1);
  const json = JSON.parse(r.stdout);
  assert.equal(json.length, 7, "good, readme and the folder's five images (one empty, one cut short)");
  assert.deepEqual(json[1], { file: bad, error: `Cannot read image '${bad}': it is text, not a PNG, JPEG, WebP, GIF or BMP image`, fileType: 'text' });
  const rows = (await fsp.readFile(csv, 'utf8')).trimEnd().split('\n');
  assert.equal(rows[0], 'file,class,class_index,confidence,top1_class,top1_probability,top2_class,top2_probability,top3_class,top3_probability,inverted,error');
  assert.equal(rows.length, 1 + 7);
  const first = rows[1].split(',');
  assert.equal(first[0], good);
  assert.equal(first[1], json[0].className);
  assert.equal(Number(first[3]), json[0].confidence);
  assert.equal(first[4], json[0].className, 'top-1 is the predicted class');
  assert.equal(first.at(-1), '');
  assert.equal(rows[2], `${bad},,,,,,,,,,,"Cannot read image '${bad}': it is text, not a PNG, JPEG, WebP, GIF or BMP image"`);
  assert.deepEqual(readdirSync(path.dirname(csv)), ['predictions.csv'], 'written to a temporary name and renamed: nothing else left');

  // Batched prediction gives what one file at a time gives.
  r = await run('predict', model, path.join(photos, 'shirts', 'B.JPG'), '--json');
  assert.equal(r.code, 0, r.stderr);
  const alone = JSON.parse(r.stdout)[0];
  const inBatch = json.find((x: { file: string }) => x.file.endsWith('B.JPG'));
  assert.equal(alone.classIndex, inBatch.classIndex);
  assert.ok(Math.abs(alone.confidence - inBatch.confidence) < 1e-6);
  assert.ok(existsSync(csv));
});
