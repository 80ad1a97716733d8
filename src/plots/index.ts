/**
 * PNG pictures of training and of what a CNN learned (Node only: rendering uses
 * @napi-rs/canvas). Each function returns `{ png, width, height }`; `writePicture` saves one.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Picture } from './canvas.js';

export type { Picture } from './canvas.js';
export { plotHistory, niceTicks, type HistoryPlotOptions } from './history.js';
export { plotPredictionGrid, argmaxRow, type PredictionGridInput } from './predictions.js';
export { plotConfusionMatrix, confusionMatrix } from './confusion.js';
export { plotKernels, firstConv } from './kernels.js';
export { plotFeatureMaps, featureMaps, type LayerMaps } from './feature_maps.js';
export { plotExplanation, jet, type ExplanationInput } from './explain.js';

/** Writes to a temporary name beside the target, then renames, so a reader never sees half a file. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now().toString(36)}`;
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

export async function writePicture(file: string, picture: Picture): Promise<string> {
  await writeFileAtomic(file, picture.png);
  return file;
}
