/**
 * A decode thread: receives a batch's file paths, answers with the batch's pixels (transferred,
 * not copied) and the files that failed. Started by pool.ts.
 */
import { parentPort } from 'node:worker_threads';
import { decodeBatch, type BatchRequest } from './pool.js';

parentPort!.on('message', async (request: BatchRequest) => {
  const result = await decodeBatch(request);
  parentPort!.postMessage(result, [result.pixels.buffer as ArrayBuffer]);
});
