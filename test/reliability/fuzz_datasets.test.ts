import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { datasets, encodeCifarBatch, encodeIdx, parseBatchesMeta, parseCifarBatch, parseIdx, parseIdxImages, parseIdxLabels } from '../../src/datasets/index.js';
import { gunzip } from '../../src/datasets/gzip.js';
import { makeTarGz, makeTinyCifar, makeTinyIdx, tempDir } from '../datasets/helpers.js';
import { assertSpecificError, memoryGuard, mutateAll, mutations, fuzzCheck, fuzzCheckAsync, recordInput, sizeLike, within } from './fuzz.js';

/*
 * Fuzzing of every dataset parser: IDX (raw and gzipped), CIFAR-10 binary batches and their
 * class-name file, and the cifar-10-binary.tar.gz archive. Inputs start from valid files and are
 * damaged (bytes overwritten, truncated, extended, header sizes replaced by extreme values), or
 * are random bytes. Each must parse to something consistent with the bytes, or fail with an
 * Error naming the file; nothing may escape as a TypeError/RangeError, hang, or allocate what a
 * lying header claims.
 */
const root = tempDir('convlab-fuzz-datasets-');
after(() => rmSync(root, { recursive: true, force: true }));

const product = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

const idxArray = fc
  .oneof(fc.tuple(fc.integer({ min: 0, max: 6 })), fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })))
  .chain((dims) => fc.uint8Array({ minLength: product(dims), maxLength: product(dims) }).map((values) => encodeIdx(dims, values)));

describe('fuzz: IDX parser', () => {
  it('damaged IDX files parse consistently or fail naming the file', () => {
    const done = memoryGuard(128);
    fuzzCheck('idx', 
      fc.property(fc.oneof(idxArray, fc.uint8Array({ maxLength: 64 })), mutations(24), fc.constantFrom(1, 3), (valid, ms, ndims) => {
        const bytes = mutateAll(valid, ms);
        recordInput(bytes, 'idx');
        try {
          const { dims, data } = parseIdx(bytes, 'fuzz.idx', ndims);
          assert.equal(dims.length, ndims);
          assert.equal(data.length, product(dims));
          assert.equal(4 + 4 * ndims + data.length, bytes.length);
          assert.equal(data.buffer, bytes.buffer, 'the values are a view, not a copy');
        } catch (e) {
          assertSpecificError(e, [Error], 'fuzz.idx');
        }
        for (const parse of [() => parseIdxImages(bytes, 'fuzz.idx', { rows: 5, cols: 5 }), () => parseIdxLabels(bytes, 'fuzz.idx', { numClasses: 10 })]) {
          try {
            parse();
          } catch (e) {
            assertSpecificError(e, [Error], 'fuzz.idx');
          }
        }
      }),
      4000,
    );
    done();
  });

  it('header dimensions with extreme values are refused before any allocation', () => {
    fuzzCheck('idx-header-dims', 
      fc.property(fc.array(sizeLike, { minLength: 3, maxLength: 3 }), fc.uint8Array({ maxLength: 32 }), (dims, tail) => {
        const header = encodeIdx([0, 0, 0], new Uint8Array(0));
        const view = new DataView(header.buffer);
        dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
        const bytes = new Uint8Array([...header, ...tail]);
        recordInput(bytes, 'idx');
        try {
          const { data } = parseIdx(bytes, 'dims.idx', 3);
          assert.equal(data.length, tail.length);
        } catch (e) {
          assertSpecificError(e, [Error], /dims\.idx: IDX header declares dimensions/);
        }
      }),
      2000,
    );
  });
});

describe('fuzz: gzip and fromFiles', () => {
  const tiny = makeTinyIdx(3, 2);
  it('damaged gzip data decompresses to the declared size or fails naming the file', () => {
    const done = memoryGuard(128);
    const valid = tiny.files['train-images-idx3-ubyte.gz'];
    fuzzCheck('gzip', 
      fc.property(mutations(valid.length + 8), (ms) => {
        const bytes = mutateAll(valid, ms);
        recordInput(bytes, 'gz');
        try {
          const out = gunzip(bytes, 'fuzz.gz', 1 << 20);
          const n = bytes.length;
          assert.equal(out.length, (bytes[n - 4] | (bytes[n - 3] << 8) | (bytes[n - 2] << 16) | (bytes[n - 1] << 24)) >>> 0);
        } catch (e) {
          assertSpecificError(e, [Error], 'fuzz.gz');
        }
      }),
      2000,
    );
    done();
  });

  it('Fashion-MNIST fromFiles with one damaged file (gzipped or not) loads or fails naming it', () => {
    const done = memoryGuard(128);
    const names = Object.keys(tiny.files);
    fuzzCheck('fashion-mnist-files', 
      fc.property(fc.constantFrom(...names), mutations(40), fc.boolean(), fc.boolean(), (name, ms, damageCompressed, rawKey) => {
        const files: Record<string, Uint8Array> = { ...tiny.files };
        let bytes = files[name];
        bytes = damageCompressed ? mutateAll(bytes, ms) : new Uint8Array(gzipSync(mutateAll(gunzip(bytes, name, 1 << 20), ms)));
        delete files[name];
        const key = rawKey && !damageCompressed ? name.replace(/\.gz$/, '') : name;
        files[key] = rawKey && !damageCompressed ? gunzip(bytes, name, 1 << 20) : bytes;
        recordInput(files[key], key.endsWith('.gz') ? 'gz' : 'idx');
        try {
          const d = datasets.fashionMnist.fromFiles(files);
          assert.equal(d.train.images.shape[0], d.train.labels.shape[0]);
          assert.equal(d.test.images.shape[0], d.test.labels.shape[0]);
        } catch (e) {
          assertSpecificError(e, [Error], /idx\d-ubyte|Fashion-MNIST/);
        }
      }),
      1500,
    );
    done();
  });
});

describe('fuzz: CIFAR-10 binary', () => {
  const cifar = makeTinyCifar(2, 2);
  const batch = cifar.batches['data_batch_1.bin'];
  it('damaged batches decode consistently or fail naming the file', () => {
    const done = memoryGuard(128);
    fuzzCheck('cifar-batch', 
      fc.property(fc.oneof(fc.constant(batch), fc.uint8Array({ maxLength: 7000 })), mutations(6200), (valid, ms) => {
        const bytes = mutateAll(valid, ms);
        recordInput(bytes, 'bin');
        try {
          const b = parseCifarBatch(bytes, 'fuzz.bin');
          assert.equal(b.count * 3073, bytes.length);
          assert.equal(b.images.length, b.count * 3072);
          assert.deepEqual(encodeCifarBatch(b.images, b.labels), bytes, 'decoding then encoding gives the bytes back');
        } catch (e) {
          assertSpecificError(e, [Error], 'fuzz.bin');
        }
      }),
      1500,
    );
    done();
  });

  it('batches.meta.txt: any bytes give 10 names or an error naming the file', () => {
    fuzzCheck('cifar-meta', 
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.array(fc.string({ maxLength: 12 }), { maxLength: 14 }).map((l) => new TextEncoder().encode(l.join('\n')))), (bytes) => {
        recordInput(bytes, 'txt');
        try {
          const names = parseBatchesMeta(bytes, 'meta.txt');
          assert.equal(names.length, 10);
          assert.ok(names.every((n) => n.length > 0));
        } catch (e) {
          assertSpecificError(e, [Error], 'meta.txt');
        }
      }),
      2000,
    );
  });

  it('cifar10.fromFiles with one damaged batch loads or fails naming it', () => {
    const done = memoryGuard(128);
    const names = Object.keys(cifar.batches);
    fuzzCheck('cifar-files', 
      fc.property(fc.constantFrom(...names), mutations(6200), fc.boolean(), (name, ms, gz) => {
        const damaged = mutateAll(cifar.batches[name], ms);
        recordInput(damaged, 'bin');
        const files = { ...cifar.batches };
        delete files[name];
        if (gz) files[`${name}.gz`] = new Uint8Array(gzipSync(damaged));
        else files[name] = damaged;
        try {
          const d = datasets.cifar10.fromFiles(files);
          assert.equal(d.train.images.shape[0] * 3072, d.train.images.data.length);
        } catch (e) {
          assertSpecificError(e, [Error], name);
        }
      }),
      600,
    );
    done();
  });
});

/** Rewrites the checksum of every 512-byte block that looks like a tar header, so the damage gets past it. */
function fixTarChecksums(tar: Uint8Array): void {
  for (let at = 0; at + 512 <= tar.length; at += 512) {
    const h = tar.subarray(at, at + 512);
    if (h[257] !== 0x75 || h[258] !== 0x73) continue; // 'us' of the 'ustar' magic
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
    h.set(Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1'), 148);
  }
}

describe('fuzz: cifar-10-binary.tar.gz', () => {
  let archive: Uint8Array;
  let tar: Uint8Array;
  let counter = 0;
  /** Loads `bytes` as the archive of a fresh data directory and lets any error through. */
  async function loadArchiveStrict(bytes: Uint8Array): Promise<void> {
    const dir = `${root}/tar-${counter++}`;
    mkdirSync(dir);
    writeFileSync(`${dir}/cifar-10-binary.tar.gz`, bytes);
    try {
      await within(10_000, 'loading a damaged archive', () =>
        datasets.cifar10.loadData({ dir, download: false, verify: false, checksums: {}, systemDirs: [], cacheDir: `${root}/cache`, allowPartialTest: true }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** Loads `bytes` as the archive of a fresh data directory, as loadData({ dir }) does. */
  async function loadArchive(bytes: Uint8Array): Promise<void> {
    const dir = `${root}/tar-${counter++}`;
    mkdirSync(dir);
    const file = `${dir}/cifar-10-binary.tar.gz`;
    recordInput(bytes, 'tar.gz');
    writeFileSync(file, bytes);
    try {
      const d = await within(10_000, 'loading a damaged archive', () =>
        datasets.cifar10.loadData({ dir, download: false, verify: false, checksums: {}, systemDirs: [], cacheDir: `${root}/cache`, allowPartialTest: true }),
      );
      assert.equal(d.train.images.data.length, d.train.count * 3072);
    } catch (e) {
      assertSpecificError(e, [Error], /cifar-10-binary\.tar\.gz|data_batch|test_batch|batches\.meta|CIFAR-10/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  before(async () => {
    const cifar = makeTinyCifar(2, 2);
    archive = await makeTarGz({ ...cifar.batches, 'batches.meta.txt': 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n' });
    tar = gunzip(archive, 'archive', 1 << 24);
  });

  it('the untouched archive loads (the corpus starts from a valid file)', async () => {
    const dir = `${root}/valid`;
    mkdirSync(dir);
    writeFileSync(`${dir}/cifar-10-binary.tar.gz`, archive);
    const d = await datasets.cifar10.loadData({ dir, download: false, verify: false, checksums: {}, systemDirs: [], allowPartialTest: true });
    assert.deepEqual(d.train.images.shape, [10, 32, 32, 3]);
  });

  it('damaged tar headers and contents (then gzipped) load or fail naming the archive', async () => {
    const done = memoryGuard(192);
    // Offsets that matter in a tar header: name (0), size (124, 12 octal digits), checksum (148), type (156).
    const headerField = fc.constantFrom(0, 100, 124, 128, 136, 148, 156, 257, 512, 636, 1024 + 124, 1024 + 148);
    // Octal text, or base-256 binary (first byte 0x80 positive, 0xff negative) as GNU tar writes large sizes.
    const field = fc.oneof(
      fc.constant(new Uint8Array(0)),
      fc.stringMatching(/^[0-7 \x00]{1,12}$/).map((t) => new Uint8Array(Buffer.from(t, 'latin1'))),
      fc.tuple(fc.constantFrom(0x80, 0xff), fc.uint8Array({ minLength: 11, maxLength: 11 })).map(([lead, rest]) => new Uint8Array([lead, ...rest])),
    );
    await fuzzCheckAsync('cifar-archive-tar', 
      fc.asyncProperty(mutations(tar.length), headerField, field, fc.boolean(), async (ms, at, text, fixChecksum) => {
        const bytes = mutateAll(tar, ms);
        if (text.length > 0 && bytes.length >= 12) bytes.set(text, Math.min(at, bytes.length - 12));
        if (fixChecksum) fixTarChecksums(bytes);
        await loadArchive(new Uint8Array(gzipSync(bytes)));
      }),
      250,
    );
    done();
  });

  it('a member with an unreadable size field fails at once, even one the loader skips', async () => {
    // Found by the property above: binary bytes in the second header's size field decode to
    // NaN, and skipping that entry never finished.
    const bytes = tar.slice();
    bytes.set([0x04, 0xfe, 0xd3, 0x82], 512 + 124);
    fixTarChecksums(bytes);
    await assert.rejects(loadArchiveStrict(new Uint8Array(gzipSync(bytes))), /cifar-10-binary\.tar\.gz: member '.*' declares an invalid size \(NaN\)/);
  });

  it('a member whose size field decodes to null fails at once (FUZZ_SEED=-592771939)', async () => {
    // Found by the property above: a base-256 size field whose lead byte is neither 0x80 nor
    // 0xff decodes to null in tar-stream, which then waits forever for that entry's bytes.
    const bytes = tar.slice();
    const last = Buffer.from(tar).indexOf('cifar-10-batches-bin/batches.meta.txt'); // its header
    assert.ok(last > 0);
    bytes[last + 124] = 0x85;
    fixTarChecksums(bytes);
    await assert.rejects(loadArchiveStrict(new Uint8Array(gzipSync(bytes))), /cifar-10-binary\.tar\.gz: member '.*batches\.meta\.txt' declares an invalid size \(null\)/);
  });

  it('an archive that stops delivering bytes (a FIFO held open) fails after stallTimeout, naming the file', async (t) => {
    if (process.platform !== 'linux') return t.skip('opening a FIFO read-write without blocking is Linux behaviour');
    const dir = `${root}/fifo`;
    mkdirSync(dir);
    const file = `${dir}/cifar-10-binary.tar.gz`;
    execFileSync('mkfifo', [file]);
    // This process holds the FIFO open for writing (O_RDWR does not block on Linux), puts half the
    // archive in it and sends nothing more: the loader gets bytes, then none, and no end.
    const fd = openSync(file, constants.O_RDWR);
    writeSync(fd, archive.subarray(0, archive.length >> 1));
    try {
      const started = Date.now();
      await assert.rejects(
        within(10_000, 'a stalled archive', () =>
          datasets.cifar10.loadData({ dir, download: false, verify: false, checksums: {}, systemDirs: [], cacheDir: `${root}/cache`, allowPartialTest: true, stallTimeout: 300 }),
        ),
        /cifar-10-binary\.tar\.gz: reading the archive made no progress for \d+\.\d s \((in|after) member '.*'\); the archive is damaged or the file stopped delivering data/,
      );
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    } finally {
      closeSync(fd);
    }
  });

  it('damaged compressed archives load or fail naming the archive', async () => {
    const done = memoryGuard(192);
    await fuzzCheckAsync('cifar-archive-gz', 
      fc.asyncProperty(mutations(archive.length), async (ms) => loadArchive(mutateAll(archive, ms))),
      250,
    );
    done();
  });
});
