import type { Tensor } from '../tensor/tensor.js';

/** One split of a dataset: uint8 images in NHWC layout and uint8 class labels. */
export interface Split {
  /** uint8 Tensor [count, height, width, channels], values 0..255. */
  images: Tensor;
  /** uint8 Tensor [count], values 0..numClasses-1. */
  labels: Tensor;
  /** Number of examples (the first dimension of images and labels). */
  count: number;
}

/** What `loadData()` resolves to: Keras's `(x_train, y_train), (x_test, y_test)`, with names. */
export interface LoadedDataset {
  /** 'fashion-mnist', 'mnist' or 'cifar-10'. */
  name: string;
  train: Split;
  test: Split;
  classNames: string[];
  /** Where the data came from: a directory, the cache, a system copy, or a download URL. */
  source: string;
  /** Anything worth knowing about this load: partial test sets, unverified files, downloads. */
  notes: string[];
}

/** Options shared by every `loadData()`. All of them are optional. */
export interface LoadOptions {
  /**
   * A directory holding the files, tried first. The files may sit in it directly or in a
   * subfolder named after the dataset (`fashion-mnist/`, `mnist/`, `cifar-10/`).
   */
  dir?: string;
  /**
   * Root of the download cache (default `$CONVLAB_CACHE`, else
   * `$XDG_CACHE_HOME/convlab/datasets`, else `~/.cache/convlab/datasets`). Each dataset uses
   * the subfolder named after it.
   */
  cacheDir?: string;
  /** Roots searched for system-wide copies (default `['/usr/share/datasets']`, Debian's location). */
  systemDirs?: string[];
  /**
   * URL of the folder the files are downloaded from (the file names are appended). Default: the
   * official location, or `$CONVLAB_DATASET_MIRROR/<dataset name>/` when that variable is set.
   */
  baseUrl?: string;
  /** Download into the cache when no local copy is found (default true). */
  download?: boolean;
  /** Check files against the published checksums (default true). */
  verify?: boolean;
  /**
   * Replaces the built-in checksum table: file name → hex digest (32 hex digits: md5, 64: sha256).
   * A name ending in `.gz`/`.tar.gz` is checked against the file as stored; any other name
   * against the uncompressed content.
   */
  checksums?: Record<string, string>;
  /** Show a download progress bar on stderr (default: when stderr is a TTY). */
  progress?: boolean;
  /** Aborts a download in progress. */
  signal?: AbortSignal;
  /**
   * Milliseconds a read (an archive being unpacked, a download) may go without progress before
   * it fails with an error naming the file (default 30,000).
   */
  stallTimeout?: number;
}

export interface Cifar10LoadOptions extends LoadOptions {
  /**
   * Accept a test batch holding fewer than the official 10,000 records (a file named
   * `test_batch*.bin[.gz]` other than `test_batch.bin`) when the full one is missing.
   */
  allowPartialTest?: boolean;
  /** Use this file (in the data directory, or an absolute path) as the test batch; implies allowPartialTest. */
  testFile?: string;
}
