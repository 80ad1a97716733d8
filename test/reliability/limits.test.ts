import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { getTensorByteLimit, layers, sequential, setTensorByteLimit, tensor } from '../../src/index.js';

/*
 * Issue #8, item 3: a model or tensor that would need more memory than the stated limit
 * (setTensorByteLimit, 4 GiB per tensor by default) fails before anything is allocated, with an
 * error that gives the size. Loading model files has its own limits (test/io/hostile.test.ts).
 */
const original = getTensorByteLimit();
after(() => setTensorByteLimit(original));

function refusedQuickly(f: () => unknown, size: RegExp): void {
  const rss = process.memoryUsage().rss;
  assert.throws(f, (e: Error) => {
    assert.equal(e.constructor, Error, `${e.name}: ${e.message}`);
    assert.match(e.message, size);
    assert.match(e.message, /more than the limit of .* per tensor \(see setTensorByteLimit\)/);
    return true;
  });
  assert.ok(process.memoryUsage().rss - rss < 64 * 2 ** 20, 'allocated before refusing');
}

describe('limits before allocation', () => {
  it('default limit: layers whose weights or outputs would need terabytes are refused with the size', () => {
    refusedQuickly(() => sequential({ layers: [layers.dense({ units: 1e9, inputShape: [100000] })] }), /100,000,000,000,000 elements \(363\.8 TiB\)/);
    refusedQuickly(() => sequential({ layers: [layers.conv2d({ filters: 100000, kernelSize: 100, inputShape: [200, 200, 3] })] }), /3,000,000,000 elements \(11\.2 GiB\)/);
    const big = sequential({ layers: [layers.conv2d({ filters: 512, kernelSize: 3, padding: 'same', inputShape: [4000, 4000, 1] })] });
    refusedQuickly(() => big.predict(tensor(new Float32Array(16e6), [1, 4000, 4000, 1])), /8,192,000,000 elements \(30\.5 GiB\)/);
  });

  it('a lowered limit applies to weights and activations alike', () => {
    setTensorByteLimit(2 ** 20);
    try {
      refusedQuickly(() => sequential({ layers: [layers.dense({ units: 1024, inputShape: [512] })] }), /524,288 elements \(2\.0 MiB\)/);
      const conv = sequential({ layers: [layers.conv2d({ filters: 128, kernelSize: 3, padding: 'same', inputShape: [64, 64, 1] })] });
      refusedQuickly(() => conv.predict(tensor(new Float32Array(64 * 64), [1, 64, 64, 1])), /524,288 elements \(2\.0 MiB\)/);
    } finally {
      setTensorByteLimit(original);
    }
  });
});
