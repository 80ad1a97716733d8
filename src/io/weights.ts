import { allocate } from '../tensor/dtype.js';
import { Tensor } from '../tensor/tensor.js';
import { type LoadLimits, ModelFormatError, checkShape, describe, isPlainObject } from './limits.js';
import { bytesPerElement, type WeightDType, type WeightSpec } from './types.js';

const WEIGHT_DTYPES: readonly WeightDType[] = ['float32', 'float64', 'int32', 'uint8'];

// Weight files are little-endian by definition; typed arrays use the platform's byte order.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('convlab reads and writes weight files only on little-endian platforms');
}

/** A named tensor, as it goes into or comes out of a weights manifest. */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** Concatenates the tensors' bytes in order and describes each, as TF.js's encodeWeights does. */
export function encodeWeights(weights: NamedTensor[]): { specs: WeightSpec[]; data: ArrayBuffer } {
  requireLittleEndian();
  const specs: WeightSpec[] = [];
  let total = 0;
  const seen = new Set<string>();
  for (const { name, tensor } of weights) {
    if (seen.has(name)) throw new Error(`Two weights are named '${name}'; weight names must be unique to be saved`);
    seen.add(name);
    specs.push({ name, shape: [...tensor.shape], dtype: tensor.dtype });
    total += tensor.data.byteLength;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const { tensor } of weights) {
    const d = tensor.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), at);
    at += d.byteLength;
  }
  return { specs, data: out.buffer };
}

export interface CheckedSpec extends WeightSpec {
  size: number;
  byteOffset: number;
  byteLength: number;
}

/**
 * Validates a list of weight specs (names, shapes, dtypes) and lays them out in the buffer.
 * The total is checked against limits.maxWeightBytes before anything is allocated.
 */
export function checkWeightSpecs(specs: unknown, what: string, limits: LoadLimits): { specs: CheckedSpec[]; totalBytes: number } {
  if (!Array.isArray(specs)) throw new ModelFormatError(`${what}: the weight list must be an array, received ${describe(specs)}`);
  // One-byte dtypes make the byte limit also the element limit.
  const maxElements = limits.maxWeightBytes;
  const out: CheckedSpec[] = [];
  const names = new Set<string>();
  let offset = 0;
  specs.forEach((spec, i) => {
    const where = `${what}: weight ${i}`;
    if (!isPlainObject(spec)) throw new ModelFormatError(`${where} must be an object {name, shape, dtype}, received ${describe(spec)}`);
    const { name, shape, dtype } = spec;
    if (typeof name !== 'string' || name.length === 0 || name.length > 512) throw new ModelFormatError(`${where}: name must be a non-empty string of at most 512 characters, received ${describe(name)}`);
    if (names.has(name)) throw new ModelFormatError(`${what}: weight '${name}' appears twice`);
    names.add(name);
    if (spec.quantization !== undefined && spec.quantization !== null) {
      throw new ModelFormatError(`${what}: weight '${name}' is quantized (${JSON.stringify(spec.quantization).slice(0, 80)}); convlab reads only unquantized weights`);
    }
    if (typeof dtype !== 'string' || !WEIGHT_DTYPES.includes(dtype as WeightDType)) {
      throw new ModelFormatError(`${what}: weight '${name}' has dtype ${describe(dtype)}; expected one of ${WEIGHT_DTYPES.join(', ')}`);
    }
    const checkedShape = checkShape(shape, `${what}: shape of weight '${name}'`, limits, maxElements);
    const size = checkedShape.reduce((p, d) => p * d, 1);
    const byteLength = size * bytesPerElement(dtype as WeightDType);
    if (offset + byteLength > limits.maxWeightBytes) {
      throw new ModelFormatError(`${what}: the weights need more than ${limits.maxWeightBytes} bytes (limits.maxWeightBytes) by weight '${name}'; refusing to allocate that much`);
    }
    out.push({ name, shape: checkedShape, dtype: dtype as WeightDType, size, byteOffset: offset, byteLength });
    offset += byteLength;
  });
  return { specs: out, totalBytes: offset };
}

/** Checks that the weight data is exactly as long as the specs say, naming the difference. */
export function checkWeightDataLength(totalBytes: number, data: ArrayBuffer, what: string): void {
  if (data.byteLength < totalBytes) {
    throw new ModelFormatError(`${what}: the weight data is truncated: it has ${data.byteLength} bytes but the manifest describes ${totalBytes} bytes`);
  }
  if (data.byteLength > totalBytes) {
    throw new ModelFormatError(`${what}: the weight data is oversized: it has ${data.byteLength} bytes but the manifest describes only ${totalBytes} bytes`);
  }
}

/** Reads one weight out of the buffer into a fresh typed array of its own dtype. */
export function readWeight(spec: CheckedSpec, data: ArrayBuffer): Tensor {
  requireLittleEndian();
  const values = allocate(spec.dtype, spec.size);
  new Uint8Array(values.buffer).set(new Uint8Array(data, spec.byteOffset, spec.byteLength));
  return new Tensor(values, spec.shape);
}

/** Every weight in the buffer, by name, after checking specs against the data length. */
export function decodeWeights(specs: unknown, data: ArrayBuffer, what: string, limits: LoadLimits): Map<string, Tensor> {
  const checked = checkWeightSpecs(specs, what, limits);
  checkWeightDataLength(checked.totalBytes, data, what);
  return new Map(checked.specs.map((s) => [s.name, readWeight(s, data)]));
}
