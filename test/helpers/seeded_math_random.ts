/*
 * TensorFlow.js's random initialisers and ops draw their seed from Math.random when none is given
 * (tfjs-core's rand_util.js), so a test that builds a TF.js model and compares it with convlab
 * within a tolerance would see new weights on every run, and could fail by chance (one did, on
 * raw 0-255 pixels). Importing this module makes Math.random a seeded generator (mulberry32) in
 * the test's process: the same draws, in the same order, every run.
 */
let state = 0x2f6b1c3d;
Math.random = (): number => {
  state = (state + 0x6d2b79f5) | 0;
  let t = Math.imul(state ^ (state >>> 15), 1 | state);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
