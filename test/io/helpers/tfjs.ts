import '../../helpers/seeded_math_random.js'; // TF.js's unseeded initialisers, made the same every run
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

let ready: Promise<void> | null = null;

/** TF.js on its pure-JS cpu backend, quietly. */
export async function tfjs(): Promise<typeof tf> {
  ready ??= (async () => {
    const warn = console.warn;
    console.warn = () => undefined;
    try {
      await tf.setBackend('cpu');
      await tf.ready();
    } finally {
      console.warn = warn;
    }
  })();
  await ready;
  return tf;
}

/**
 * What tfjs-node's file:// loader would give TF.js for a saved directory, built here from the
 * raw files with no convlab code, so TF.js judges the files themselves.
 */
export function tfjsHandlerFromDir(dir: string): tf.io.IOHandler {
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const specs = modelJson.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const buffers = modelJson.weightsManifest.flatMap((g: { paths: string[] }) => g.paths.map((p) => readFileSync(join(dir, p))));
  const joined = Buffer.concat(buffers);
  return tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: specs,
    weightData: joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength),
    format: modelJson.format,
    generatedBy: modelJson.generatedBy,
    convertedBy: modelJson.convertedBy,
  });
}

/** A save handler writing what tfjs-node's file:// handler writes: model.json + weights.bin. */
export function tfjsDirWriter(dir: string): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      mkdirSync(dir, { recursive: true });
      const data = artifacts.weightData as ArrayBuffer;
      writeFileSync(join(dir, 'weights.bin'), Buffer.from(data));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['./weights.bin'.slice(2)], weights: artifacts.weightSpecs }],
      };
      mkdirSync(dirname(join(dir, 'model.json')), { recursive: true });
      writeFileSync(join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    },
  };
}
