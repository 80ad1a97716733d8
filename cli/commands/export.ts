/**
 * `export`: a saved model as an ONNX file, for ONNX Runtime and the tools around it. The graph
 * keeps the model's NHWC input; src/io/onnx does the layout work.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { exportOnnxFile } from '../../src/io/index.js';
import { CliError, type Context } from '../context.js';
import { loadModel } from '../model_store.js';
import { LOCK_FILE, runFilesIn, withRunLock } from '../run_dir.js';

export function registerExport(program: Command, ctx: Context): void {
  program
    .command('export')
    .description('write a saved model as ONNX (e.g. export runs/lab-cnn --onnx lab-cnn.onnx)')
    .argument('<model>', 'saved model directory (as written by convlab train --out DIR) or a Keras .keras / .h5 file')
    .requiredOption('--onnx <file>', 'the ONNX file to write')
    .option('--batch-size <n>', 'a fixed batch size for the graph input (default: dynamic)')
    .action(async (modelArg: string, opts: { onnx: string; batchSize?: string }) => {
      const batchSize = opts.batchSize === undefined ? undefined : Number(opts.batchSize);
      if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
        throw new CliError(`--batch-size must be a positive integer, received '${opts.batchSize}'`);
      }
      const { model } = await loadModel(modelArg);
      const file = path.resolve(opts.onnx);
      const write = () => exportOnnxFile(model, file, batchSize === undefined ? {} : { batchSize });
      // Into a run directory (runs/x/model.onnx): not while a training run is writing there.
      const dir = path.dirname(file);
      if (runFilesIn(dir).length > 0 || existsSync(path.join(dir, LOCK_FILE))) await withRunLock(dir, 'convlab export', (line) => ctx.err(line), write);
      else await write();
      ctx.out(`Wrote ${file} (ONNX, input ${JSON.stringify(model.inputShape)}, ${model.layers.length} layers, ${model.countParams().toLocaleString('en-US')} params)`);
    });
}
