/**
 * A decode thread: receives batches of file paths, decodes them one batch at a time in the order
 * received, and answers each with the batch's pixels (transferred, not copied) and the files that
 * failed. Started by pool.ts, which sends batches ahead so that this thread never waits for work.
 */
import { parentPort } from 'node:worker_threads';
import { decodeBatch, type BatchRequest } from './pool.js';

let last: Promise<void> = Promise.resolve();
parentPort!.on('message', (request: BatchRequest) => {
  last = last.then(async () => {
    // The pool times each batch from here: loading this thread's modules or waiting behind
    // another batch does not count.
    parentPort!.postMessage({ started: request.id });
    const result = await decodeBatch(request);
    parentPort!.postMessage(result, [result.pixels.buffer as ArrayBuffer]);
  });
});
