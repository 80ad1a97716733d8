import { record } from '../autograd/tape.js';
import { allocate, dtypeOf, getFloatX, type DType, type TypedArray } from './dtype.js';
import { assertValidShape, formatShape, sizeOf, type Shape } from './shape.js';

let nextTensorId = 0;

/**
 * Set by a backend while kernels it has queued (src/kernels/wasm/engine.ts) may still be writing
 * memory: called with the storage that JavaScript is about to read or write through `data`, it
 * waits for those kernels when the storage is theirs.
 */
let beforeAccess: ((storage: TypedArray) => void) | null = null;

export function setBeforeDataAccess(hook: ((storage: TypedArray) => void) | null): void {
  beforeAccess = hook;
}

export type NestedArray = number | NestedArray[];

/**
 * An n-dimensional array. Storage is a plain typed array owned by the tensor, so memory is
 * reclaimed by the garbage collector: there is no dispose() or tidy() to remember.
 */
export class Tensor {
  readonly id = nextTensorId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /**
   * The values as kernels see them, to pass to kernels: queued kernels may still be writing
   * them. JavaScript that reads or writes values uses `data`.
   */
  readonly storage: TypedArray;

  constructor(data: TypedArray, shape: Shape) {
    assertValidShape(shape);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`Tensor data has ${data.length} values but shape ${formatShape(shape)} needs ${sizeOf(shape)}`);
    }
    this.storage = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
  }

  /** The values, row-major, once every kernel that writes them has run. */
  get data(): TypedArray {
    if (beforeAccess !== null) beforeAccess(this.storage);
    return this.storage;
  }

  get size(): number {
    return this.storage.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** TF.js name for a synchronous read of the values. */
  dataSync(): TypedArray {
    return this.data;
  }

  arraySync(): NestedArray {
    return toNested(this.data, this.shape, 0, 0);
  }

  async array(): Promise<NestedArray> {
    return this.arraySync();
  }

  /** A view with another shape over the same values (no copy). */
  reshape(shape: Shape): Tensor {
    return reshapeData(this, shape);
  }

  get(...index: number[]): number {
    if (index.length !== this.rank) {
      throw new Error(`get: expected ${this.rank} indices for shape ${formatShape(this.shape)}, received ${index.length}`);
    }
    let offset = 0;
    for (let i = 0; i < index.length; i++) {
      if (index[i] < 0 || index[i] >= this.shape[i]) {
        throw new Error(`get: index ${index[i]} out of range for axis ${i} of shape ${formatShape(this.shape)}`);
      }
      offset = offset * this.shape[i] + index[i];
    }
    return this.data[offset];
  }

  toString(): string {
    const values = this.size <= 64 ? JSON.stringify(this.arraySync()) : `[${Array.from(this.data.subarray(0, 8)).join(', ')}, ...]`;
    return `Tensor(shape=${formatShape(this.shape)}, dtype=${this.dtype})\n${values}`;
  }

  print(log: (s: string) => void = console.log): void {
    log(this.toString());
  }
}

function toNested(data: TypedArray, shape: Shape, axis: number, offset: number): NestedArray {
  if (shape.length === 0) return data[0];
  const n = shape[axis];
  if (axis === shape.length - 1) return Array.from(data.subarray(offset, offset + n));
  const stride = sizeOf(shape.slice(axis + 1));
  const out: NestedArray[] = [];
  for (let i = 0; i < n; i++) out.push(toNested(data, shape, axis + 1, offset + i * stride));
  return out;
}

/** Resolves one -1 in a requested shape, checking that the element counts agree. */
export function resolveShape(size: number, shape: Shape): number[] {
  const out = [...shape];
  const unknown = out.indexOf(-1);
  if (unknown >= 0) {
    const known = out.reduce((p, d, i) => (i === unknown ? p : p * d), 1);
    if (known === 0 || size % known !== 0) {
      throw new Error(`Cannot reshape ${size} values into ${formatShape(shape)}`);
    }
    out[unknown] = size / known;
  }
  if (sizeOf(out) !== size) throw new Error(`Cannot reshape ${size} values into ${formatShape(shape)}`);
  return out;
}

function reshapeData(t: Tensor, shape: Shape): Tensor {
  const y = new Tensor(t.storage, resolveShape(t.size, shape));
  record('Reshape', [t], y);
  return y;
}

function flattenNested(values: NestedArray, out: number[], shape: number[], depth: number): void {
  if (Array.isArray(values)) {
    if (shape.length <= depth) shape.push(values.length);
    else if (shape[depth] !== values.length) throw new Error('tensor: nested arrays are ragged; every row must have the same length');
    for (const v of values) flattenNested(v, out, shape, depth + 1);
  } else {
    if (depth !== shape.length) throw new Error('tensor: nested arrays are ragged; every row must have the same length');
    if (typeof values !== 'number') throw new Error(`tensor: expected numbers, received ${typeof values}`);
    out.push(values);
  }
}

/**
 * Creates a tensor, as `tf.tensor(values, shape?, dtype?)`. Values may be nested arrays, a flat
 * array or a typed array; typed arrays are used without copying when the dtype matches.
 */
export function tensor(values: NestedArray | ArrayLike<number> | TypedArray, shape?: Shape, dtype?: DType): Tensor {
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (ArrayBuffer.isView(values)) {
    flat = values as TypedArray;
    inferred = [flat.length];
  } else if (Array.isArray(values)) {
    const out: number[] = [];
    inferred = [];
    flattenNested(values as NestedArray, out, inferred, 0);
    flat = out;
  } else if (typeof values === 'number') {
    flat = [values];
    inferred = [];
  } else {
    throw new Error(`tensor: expected a number, an array or a typed array, received ${typeof values}`);
  }
  const finalShape = shape ? resolveShape(flat.length, shape) : inferred;
  const isTyped = ArrayBuffer.isView(flat);
  const wanted: DType = dtype ?? (isTyped ? dtypeOf(flat as TypedArray) : getFloatX());
  if (isTyped && dtypeOf(flat as TypedArray) === wanted) return new Tensor(flat as TypedArray, finalShape);
  const data = allocate(wanted, flat.length);
  for (let i = 0; i < flat.length; i++) data[i] = flat[i];
  return new Tensor(data, finalShape);
}

export function scalar(value: number, dtype?: DType): Tensor {
  return tensor([value], [], dtype);
}

export function zeros(shape: Shape, dtype: DType = getFloatX()): Tensor {
  return new Tensor(allocate(dtype, sizeOf(shape)), shape);
}

export function ones(shape: Shape, dtype: DType = getFloatX()): Tensor {
  return fill(shape, 1, dtype);
}

export function fill(shape: Shape, value: number, dtype: DType = getFloatX()): Tensor {
  const data = allocate(dtype, sizeOf(shape));
  data.fill(value);
  return new Tensor(data, shape);
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}
