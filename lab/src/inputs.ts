/** The images the explainers can start from: test samples, or the user's own drawing. */
import { imageAt, type LabDataset } from './dataset_format.js';

export interface InputSource {
  id: string;
  label: string;
  pixels: () => Float32Array | null;
}

export const SAMPLE_COUNT = 12;

export function inputSources(data: LabDataset, drawing: () => Float32Array | null): InputSource[] {
  const n = Math.min(SAMPLE_COUNT, data.test.count);
  const samples: InputSource[] = Array.from({ length: n }, (_, i) => ({
    id: `test:${i}`,
    label: `Test image #${i} · ${data.manifest.classNames[data.test.labels[i]]}`,
    pixels: () => imageAt(data.test, i, data.rows, data.cols),
  }));
  return [...samples, { id: 'drawing', label: 'Your drawing (section 5)', pixels: drawing }];
}
