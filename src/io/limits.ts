/**
 * Limits that keep a hostile or broken model file from crashing the process, hanging it or
 * making it allocate gigabytes. Every size is checked against them before anything is allocated.
 */
export interface LoadLimits {
  /** Largest model.json (or training-state JSON) accepted, in bytes. */
  maxJsonBytes: number;
  /** Deepest nesting of arrays and objects in that JSON. */
  maxJsonDepth: number;
  maxLayers: number;
  /** Total bytes of weights a model may hold (default 1 GiB). */
  maxWeightBytes: number;
  /** Largest single dimension in any shape or layer size (units, filters, kernel, input). */
  maxDimension: number;
}

export const DEFAULT_LIMITS: Readonly<LoadLimits> = Object.freeze({
  maxJsonBytes: 64 * 2 ** 20,
  maxJsonDepth: 64,
  maxLayers: 2000,
  maxWeightBytes: 2 ** 30,
  maxDimension: 2 ** 24,
});

export function resolveLimits(partial?: Partial<LoadLimits>): LoadLimits {
  const limits = { ...DEFAULT_LIMITS, ...(partial ?? {}) };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`Load limit '${key}' must be a positive integer, received ${JSON.stringify(value)}`);
  }
  return limits;
}

/** Thrown for every problem found in a model file, so callers can tell it from a bug. */
export class ModelFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFormatError';
  }
}

// Keys that would reach Object.prototype if the parsed object were ever merged or spread.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Nesting depth of a JSON text, found without recursion so deep input cannot overflow the stack. */
function jsonDepth(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 91 || c === 123) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return max;
}

/** JSON.parse with a size limit, a depth limit and no prototype-polluting keys. */
export function parseJsonSafely(text: string, what: string, limits: LoadLimits): unknown {
  if (typeof text !== 'string') throw new ModelFormatError(`${what}: expected JSON text, received ${typeof text}`);
  if (text.length > limits.maxJsonBytes) {
    throw new ModelFormatError(`${what} is ${text.length} bytes, more than the limit of ${limits.maxJsonBytes} bytes (raise limits.maxJsonBytes if the file is genuine)`);
  }
  const depth = jsonDepth(text, limits.maxJsonDepth);
  if (depth > limits.maxJsonDepth) {
    throw new ModelFormatError(`${what} nests arrays/objects more than ${limits.maxJsonDepth} levels deep; a model file never needs that many`);
  }
  try {
    return JSON.parse(text, (key, value) => {
      if (FORBIDDEN_KEYS.has(key)) throw new ModelFormatError(`${what} contains the key '${key}', which is not allowed in a model file`);
      return value;
    });
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`${what} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Rejects keys that could pollute prototypes in an object that did not come from parseJsonSafely. */
export function checkNoForbiddenKeys(value: unknown, what: string, limits: LoadLimits, depth = 0): void {
  if (depth > limits.maxJsonDepth) throw new ModelFormatError(`${what} nests more than ${limits.maxJsonDepth} levels deep`);
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return;
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key)) throw new ModelFormatError(`${what} contains the key '${key}', which is not allowed in a model file`);
    checkNoForbiddenKeys((value as Record<string, unknown>)[key], what, limits, depth + 1);
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** A positive integer no larger than maxDimension, or a ModelFormatError naming the field. */
export function checkDimension(value: unknown, what: string, limits: LoadLimits, allowZero = false): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new ModelFormatError(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} integer, received ${describe(value)}`);
  }
  if (value > limits.maxDimension) {
    throw new ModelFormatError(`${what} is ${value}, above the limit of ${limits.maxDimension} (limits.maxDimension)`);
  }
  return value;
}

/** A shape of dimensions, each checked, whose product must also stay below maxElements. */
export function checkShape(value: unknown, what: string, limits: LoadLimits, maxElements: number): number[] {
  if (!Array.isArray(value)) throw new ModelFormatError(`${what} must be an array of dimensions, received ${describe(value)}`);
  if (value.length > 8) throw new ModelFormatError(`${what} has rank ${value.length}; convlab weights have rank 8 or less`);
  let product = 1;
  const shape = value.map((d, i) => {
    const n = checkDimension(d, `${what}[${i}]`, limits, true);
    product *= n;
    return n;
  });
  if (product > maxElements) {
    throw new ModelFormatError(`${what} ${JSON.stringify(shape)} holds ${product} values, more than the ${maxElements} allowed`);
  }
  return shape;
}
