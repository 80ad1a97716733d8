/**
 * `convert IN OUT`: a model between the formats convlab reads and writes. IN is a Python Keras
 * file (.keras, .h5; recognised by content) or a TF.js model directory / model.json; OUT ending
 * in .keras writes Keras 3, in .h5 Keras 2 HDF5, anything else a TF.js model directory.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { saveModel } from '../../src/io/index.js';
import { type Context } from '../context.js';
import { loadModel } from '../model_store.js';

export function registerConvert(program: Command, ctx: Context): void {
  program
    .command('convert')
    .description('convert a model between Keras .keras, Keras .h5 and the TF.js format (e.g. convert model.h5 model.keras)')
    .argument('<in>', 'a Keras .keras or .h5 file, or a TF.js model directory (model.json)')
    .argument('<out>', 'OUT.keras (Keras 3), OUT.h5 (Keras 2 HDF5) or a directory (TF.js model.json + weights.bin)')
    .action(async (input: string, output: string) => {
      const { model, notes } = await loadModel(input);
      for (const note of notes ?? []) ctx.err(`note: ${note}`);
      const target = path.resolve(output);
      await saveModel(model, target);
      const format = /\.keras$/i.test(output) ? 'Keras 3 .keras' : /\.(h5|hdf5)$/i.test(output) ? 'Keras 2 .h5' : 'TF.js model directory';
      ctx.out(`Wrote ${target} (${format}; ${model.layers.length} layers, ${model.countParams().toLocaleString('en-US')} params)`);
    });
}
