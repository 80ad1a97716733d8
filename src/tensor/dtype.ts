/** Storage types. Floats carry values through the network; integers carry labels and raw pixels. */
export type FloatDType = 'float32' | 'float64';
export type DType = FloatDType | 'int32' | 'uint8';

export type FloatArray = Float32Array | Float64Array;
export type TypedArray = FloatArray | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'uint8'];

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, uint8: 1 };
let tensorByteLimit = 4 * 1024 ** 3;

/**
 * The largest single tensor convlab will allocate, in bytes (default 4 GiB). Checked before
 * allocating, so a shape that is too large fails with its size instead of crashing the process.
 */
export function setTensorByteLimit(bytes: number): void {
  if (!(bytes > 0)) throw new Error(`setTensorByteLimit: expected a positive number of bytes, received ${bytes}`);
  tensorByteLimit = bytes;
}

export function getTensorByteLimit(): number {
  return tensorByteLimit;
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

export function checkAllocation(dtype: DType, length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) throw new Error(`Cannot allocate a ${dtype} tensor of ${length} elements: the size must be a non-negative integer`);
  const bytes = length * BYTES[dtype];
  if (bytes > tensorByteLimit) {
    throw new Error(`Cannot allocate a ${dtype} tensor of ${length.toLocaleString('en-US')} elements (${formatBytes(bytes)}): more than the limit of ${formatBytes(tensorByteLimit)} per tensor (see setTensorByteLimit)`);
  }
}

/**
 * Where float32 storage comes from while a training or inference step runs: the wasm backend
 * hands out zero-filled views into its WebAssembly memory, so kernels read and write tensors
 * where they lie. Null (the default) means the JS heap.
 */
export interface FloatArena {
  /**
   * A Float32Array of `length`, zero-filled unless `zeroed` is false (then its contents are
   * whatever the memory held), or null to fall back to the JS heap.
   */
  allocFloat32(length: number, zeroed?: boolean): Float32Array | null;
}

let arena: FloatArena | null = null;

/** Runs f with float32 allocations served by `a` (null: the JS heap); restores the previous arena. */
export function withArena<T>(a: FloatArena | null, f: () => T): T {
  const previous = arena;
  arena = a;
  try {
    return f();
  } finally {
    arena = previous;
  }
}

/**
 * Runs f with allocations on the JS heap even inside a step: for storage that outlives the step
 * (weights, optimizer slots), which must never point into memory the next step reuses.
 */
export function onHeap<T>(f: () => T): T {
  return arena === null ? f() : withArena(null, f);
}

/** Whether a step arena serves allocations now. */
export function inArena(): boolean {
  return arena !== null;
}

function newFloat32(length: number, zeroed = true): Float32Array {
  return arena?.allocFloat32(length, zeroed) ?? new Float32Array(length);
}

export function allocate(dtype: DType, length: number): TypedArray {
  if (BYTES[dtype] !== undefined) checkAllocation(dtype, length);
  switch (dtype) {
    case 'float32': return newFloat32(length);
    case 'float64': return new Float64Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint8': return new Uint8Array(length);
    default: throw new Error(`Unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`);
  }
}

export function allocateFloat(dtype: FloatDType, length: number): FloatArray {
  checkAllocation(dtype, length);
  return dtype === 'float64' ? new Float64Array(length) : newFloat32(length);
}

/**
 * Storage for a kernel's output that the kernel overwrites in full, so a step arena may skip
 * zeroing it (tens of megabytes per step in a convolutional network). Never use it for an
 * output the kernel accumulates into.
 */
export function allocateKernelOutput(dtype: FloatDType, length: number): FloatArray {
  checkAllocation(dtype, length);
  return dtype === 'float64' ? new Float64Array(length) : newFloat32(length, false);
}

export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Uint8Array) return 'uint8';
  throw new Error('Unsupported typed array; expected Float32Array, Float64Array, Int32Array or Uint8Array');
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === 'float32' || dtype === 'float64';
}

let floatX: FloatDType = 'float32';

/** Keras's `backend.set_floatx`: the dtype that new weights and inputs are created in. */
export function setFloatX(dtype: FloatDType): void {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new Error(`setFloatX: expected 'float32' or 'float64', received '${String(dtype)}'`);
  }
  floatX = dtype;
}

export function getFloatX(): FloatDType {
  return floatX;
}
