import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeLabDataset, encodeLabDataset, imageAt, type Manifest } from '../../lab/src/dataset_format.js';

function sample(): Manifest & { bytes: Uint8Array } {
  const train = { images: Uint8Array.from({ length: 3 * 4 }, (_, i) => i * 20), labels: Uint8Array.from([0, 2, 1]), count: 3 };
  const test = { images: Uint8Array.from({ length: 2 * 4 }, (_, i) => 255 - i), labels: Uint8Array.from([1, 1]), count: 2 };
  const { manifest, bytes } = encodeLabDataset({ dataset: 'toy', classNames: ['a', 'b', 'c'], source: 'memory', notes: [], subset: 'all', file: 'toy.bin', rows: 2, cols: 2, train, test });
  return { ...manifest, segments: [...manifest.segments], sha256: '', bytes };
}

describe('lab dataset file', () => {
  test('round-trips the splits', () => {
    const { bytes, ...manifest } = sample();
    const d = decodeLabDataset(manifest, bytes);
    assert.equal(bytes.length, 12 + 3 + 8 + 2);
    assert.deepEqual([d.rows, d.cols, d.train.count, d.test.count], [2, 2, 3, 2]);
    assert.deepEqual([...d.train.labels], [0, 2, 1]);
    assert.deepEqual([...d.test.images.subarray(4, 8)], [251, 250, 249, 248]);
    assert.deepEqual([...imageAt(d.train, 1, 2, 2)].map((v) => Math.round(v * 255)), [80, 100, 120, 140]);
    assert.throws(() => imageAt(d.train, 3, 2, 2), /Image index 3 is out of range \[0, 2\]/);
  });

  test('rejects truncated files, bad labels and other formats with the reason', () => {
    const { bytes, ...manifest } = sample();
    assert.throws(() => decodeLabDataset(manifest, bytes.subarray(1)), /has 24 bytes, the manifest expects 25/);
    const bad = bytes.slice();
    bad[12 + 1] = 7;
    assert.throws(() => decodeLabDataset(manifest, bad), /label 7 at index 1 of trainLabels is not a class index in \[0, 2\]/);
    assert.throws(() => decodeLabDataset({ ...manifest, format: 'other' as never }, bytes), /expected format 'convlab-lab-dataset\/1'/);
    const missing = { ...manifest, segments: manifest.segments.filter((s) => s.name !== 'testLabels') };
    assert.throws(() => decodeLabDataset(missing, bytes), /no 'testLabels' segment/);
  });
});
