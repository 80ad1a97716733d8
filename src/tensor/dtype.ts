/** Storage types. Floats carry values through the network; integers carry labels and raw pixels. */
export type FloatDType = 'float32' | 'float64';
export type DType = FloatDType | 'int32' | 'uint8';

export type FloatArray = Float32Array | Float64Array;
export type TypedArray = FloatArray | Int32Array | Uint8Array;

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'uint8'];

export function allocate(dtype: DType, length: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(length);
    case 'float64': return new Float64Array(length);
    case 'int32': return new Int32Array(length);
    case 'uint8': return new Uint8Array(length);
    default: throw new Error(`Unknown dtype '${String(dtype)}'; expected one of ${DTYPES.join(', ')}`);
  }
}

export function allocateFloat(dtype: FloatDType, length: number): FloatArray {
  return dtype === 'float64' ? new Float64Array(length) : new Float32Array(length);
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
