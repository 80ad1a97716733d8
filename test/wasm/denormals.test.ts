import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend as ref } from '../../src/kernels/reference/index.js';
import { assertClose, flavours, type Flavour } from './helpers.js';

/*
 * The wasm optimizer kernels flush denormal slot values to zero (assembly/optimizers.ts), as
 * TensorFlow's CPU kernels run: a moment that decays where a gradient stays zero would otherwise
 * turn denormal and slow every later update. Normal values are untouched, and NaN stays NaN.
 */

let all: Flavour[] = [];
before(async () => {
  all = await flavours();
});
after(() => {
  for (const f of all) f.engine.close();
});

const TINY = 1e-39; // denormal in float32 (the smallest normal is 1.18e-38)
const adam = { lr: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, step: 5, weightDecay: 0 };

/** Slots: a denormal, one that decays into the denormals this step, normal values, zero and NaN; 9 values (a SIMD body and a scalar tail). */
function slots(): Float32Array {
  return Float32Array.from([TINY, 1.2e-38, 0.5, -0.25, 0, NaN, -TINY, 3e-3, 1.25e-38]);
}

const FLT_MIN = 1.1754943508222875e-38;

/** got equals the reference's want, except that the reference's denormals are 0 in got; NaN stays NaN. */
function checkFlushed(got: Float32Array, want: Float32Array, what: string): void {
  let flushed = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i])) assert.ok(Number.isNaN(got[i]), `${what}[${i}] = ${got[i]} should stay NaN`);
    else if (Math.abs(want[i]) < FLT_MIN) {
      assert.equal(got[i], 0, `${what}[${i}] = ${got[i]} should be flushed to 0 (the reference keeps the denormal ${want[i]})`);
      if (want[i] !== 0) flushed++;
    } else assert.ok(Math.abs(got[i] - want[i]) <= 1e-6 * Math.abs(want[i]), `${what}[${i}] = ${got[i]}, reference ${want[i]}`);
  }
  assert.ok(flushed >= 2, `${what}: the test should produce denormals (it produced ${flushed})`);
}

describe('wasm optimizer kernels and denormals', () => {
  it('Adam flushes denormal moments to zero, keeps NaN, and otherwise equals the reference', () => {
    for (const f of all) {
      const grad = new Float32Array(9);
      const [p, m, v] = [new Float32Array(9).fill(1), slots(), slots().map(Math.abs)];
      f.kernels.adamUpdate(p, grad, m, v, adam);
      const [p0, m0, v0] = [new Float32Array(9).fill(1), slots(), slots().map(Math.abs)];
      ref.adamUpdate(p0, grad, m0, v0, adam);
      for (const [got, want, name] of [[m, m0, 'm'], [v, v0, 'v']] as const) checkFlushed(got, want, `${f.name}: Adam ${name}`);
      assertClose(p.filter((_, i) => i !== 5), p0.filter((_, i) => i !== 5), `${f.name}: parameters`);
    }
  });

  it('SGD momentum and RMSprop flush their slots too', () => {
    for (const f of all) {
      const grad = new Float32Array(9);
      const velocity = slots();
      const velocity0 = slots();
      f.kernels.sgdUpdate(new Float32Array(9).fill(1), grad, velocity, 0.01, 0.9, false, 0);
      ref.sgdUpdate(new Float32Array(9).fill(1), grad, velocity0, 0.01, 0.9, false, 0);
      checkFlushed(velocity, velocity0, `${f.name}: SGD velocity`);
      const [rms, rmsVelocity, rms0, rmsVelocity0] = [slots().map(Math.abs), slots(), slots().map(Math.abs), slots()];
      f.kernels.rmspropUpdate(new Float32Array(9).fill(1), grad, rms, rmsVelocity, 0.001, 0.9, 0.5, 1e-7);
      ref.rmspropUpdate(new Float32Array(9).fill(1), grad, rms0, rmsVelocity0, 0.001, 0.9, 0.5, 1e-7);
      checkFlushed(rms, rms0, `${f.name}: RMSprop mean square`);
      checkFlushed(rmsVelocity, rmsVelocity0, `${f.name}: RMSprop velocity`);
    }
  });
});
