/** Shared by the lab examples: where the data comes from, and the lab's class names. */
import { datasets, type LoadedDataset } from 'convlab';

/**
 * Fashion-MNIST from the directory given as the first argument, else from the usual places
 * (CONVLAB_DATA, the cache, Debian's dataset-fashion-mnist package, then a download).
 */
export async function loadFashionMnist(): Promise<LoadedDataset> {
  const dir = process.argv[2];
  const data = await datasets.fashionMnist.loadData(dir ? { dir } : {});
  console.log(`Fashion-MNIST from ${data.source}`);
  return data;
}

export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
  return best;
}
