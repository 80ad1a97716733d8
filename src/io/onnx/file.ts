import type { LayersModel } from '../../models/layers_model.js';
import { writeFileAtomic } from '../atomic_file.js';
import { nodeFs, nodePath } from '../platform.js';
import { exportOnnx, type OnnxExportOptions } from './export.js';

/** Writes the ONNX export of a model to a file (temporary name, then renamed). Node only. */
export async function exportOnnxFile(model: LayersModel, path: string, options: OnnxExportOptions = {}): Promise<{ path: string; bytes: number }> {
  const bytes = exportOnnx(model, options);
  const fs = await nodeFs('exportOnnxFile');
  const { dirname } = await nodePath('exportOnnxFile');
  await fs.mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, bytes);
  return { path, bytes: bytes.byteLength };
}
