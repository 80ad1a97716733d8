/**
 * What each dataset is made of: file names, sizes, official checksums and download locations.
 * Browser-safe (no Node imports).
 */

export const FASHION_MNIST_CLASS_NAMES: readonly string[] = Object.freeze([
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
]);
export const MNIST_CLASS_NAMES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
export const CIFAR10_CLASS_NAMES: readonly string[] = Object.freeze([
  'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck',
]);

/** One IDX file of an MNIST-style dataset. */
export interface IdxFileSpec {
  /** Uncompressed file name, e.g. 'train-images-idx3-ubyte'; the gzipped copy adds '.gz'. */
  name: string;
  split: 'train' | 'test';
  kind: 'images' | 'labels';
  /** Number of records in the official file. */
  count: number;
}

export interface IdxDatasetSpec {
  format: 'idx';
  name: string;
  title: string;
  classNames: readonly string[];
  rows: number;
  cols: number;
  files: readonly IdxFileSpec[];
  /** Folder URL the `.gz` files are downloaded from. */
  url: string;
  /** Built-in checksums: file name (`X.gz` = as stored, `X` = uncompressed) → hex digest. */
  checksums: Readonly<Record<string, string>>;
  /** Debian package that installs the files under /usr/share/datasets/<name>, if any. */
  debianPackage?: string;
}

function idxFiles(trainCount: number, testCount: number): IdxFileSpec[] {
  return [
    { name: 'train-images-idx3-ubyte', split: 'train', kind: 'images', count: trainCount },
    { name: 'train-labels-idx1-ubyte', split: 'train', kind: 'labels', count: trainCount },
    { name: 't10k-images-idx3-ubyte', split: 'test', kind: 'images', count: testCount },
    { name: 't10k-labels-idx1-ubyte', split: 'test', kind: 'labels', count: testCount },
  ];
}

export const FASHION_MNIST: IdxDatasetSpec = {
  format: 'idx',
  name: 'fashion-mnist',
  title: 'Fashion-MNIST',
  classNames: FASHION_MNIST_CLASS_NAMES,
  rows: 28,
  cols: 28,
  files: idxFiles(60000, 10000),
  url: 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
  checksums: {
    // md5 of the official .gz files (zalandoresearch/fashion-mnist README).
    'train-images-idx3-ubyte.gz': '8d4fb7e6c68d591d4c3dfef9ec88bf0d',
    'train-labels-idx1-ubyte.gz': '25c81989df183df01b3e8a0aad5dffbe',
    't10k-images-idx3-ubyte.gz': 'bef4ecab320f06d8554ea6380940ec79',
    't10k-labels-idx1-ubyte.gz': 'bb300cfdad3c16e7a12a480ee83cd310',
    // sha256 of the uncompressed files: valid for re-gzipped copies such as Debian's.
    'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
    'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
    't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
    't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
  },
  debianPackage: 'dataset-fashion-mnist',
};

export const MNIST: IdxDatasetSpec = {
  format: 'idx',
  name: 'mnist',
  title: 'MNIST',
  classNames: MNIST_CLASS_NAMES,
  rows: 28,
  cols: 28,
  files: idxFiles(60000, 10000),
  // Keras downloads mnist.npz; this mirror serves the classic IDX files.
  url: 'https://storage.googleapis.com/cvdf-datasets/mnist/',
  checksums: {
    // md5 of the official .gz files (as published with torchvision's MNIST loader).
    'train-images-idx3-ubyte.gz': 'f68b3c2dcbeaaa9fbdd348bbdeb94873',
    'train-labels-idx1-ubyte.gz': 'd53e105ee54ea40749a09fcbcd1e9432',
    't10k-images-idx3-ubyte.gz': '9fb629c4189551a2d022fa330f9573f3',
    't10k-labels-idx1-ubyte.gz': 'ec29112dd5afa0611ce80d1b7f02629c',
  },
};

export const CIFAR10_RECORD_BYTES = 3073;
export const CIFAR10_IMAGE_BYTES = 3072;
export const CIFAR10_RECORDS_PER_BATCH = 10000;
export const CIFAR10_ARCHIVE = 'cifar-10-binary.tar.gz';
export const CIFAR10_ARCHIVE_DIR = 'cifar-10-batches-bin';
export const CIFAR10_TRAIN_FILES: readonly string[] = Object.freeze([1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`));
export const CIFAR10_TEST_FILE = 'test_batch.bin';
export const CIFAR10_META_FILE = 'batches.meta.txt';

export interface Cifar10Spec {
  format: 'cifar10';
  name: string;
  title: string;
  classNames: readonly string[];
  url: string;
  checksums: Readonly<Record<string, string>>;
}

export const CIFAR10: Cifar10Spec = {
  format: 'cifar10',
  name: 'cifar-10',
  title: 'CIFAR-10',
  classNames: CIFAR10_CLASS_NAMES,
  url: 'https://www.cs.toronto.edu/~kriz/',
  checksums: {
    // md5 of the official archive and of the uncompressed batches it holds.
    'cifar-10-binary.tar.gz': 'c32a1d4ab5d03f1284b67883e8d87530',
    'data_batch_1.bin': '5dd7e06a14cb22eb9f671a540d1b7c25',
    'data_batch_2.bin': '5ea93a67294ea407fff1d09f752e9692',
    'data_batch_3.bin': '942cd6a4bcdd0dd3c604fbe906cb4421',
    'data_batch_4.bin': 'ae636b3ba5c66a11e91e8cb52e771fcb',
    'data_batch_5.bin': '53f37980c15c3d472c316c40844f3f0d',
    'test_batch.bin': '803d5f7f4d78ea53de84dbe85f74fb6d',
    // A known partial copy: records 0-999 of the official test_batch.bin.
    'test_batch_first1000.bin': '371f65da31ad652f5e24b3699a3e6515',
  },
};

export type DatasetSpec = IdxDatasetSpec | Cifar10Spec;
