/**
 * The key and value conventions of model.json. TF.js keeps camelCase configs in memory and
 * writes Keras's snake_case to disk, converting every key and every string value except the
 * values of `name` and `className` (layer and model names are kept as written). These functions
 * follow tfjs-layers' serialization_utils exactly, so files match what TF.js writes and reads.
 */

export function toSnakeCase(name: string): string {
  const intermediate = name.replace(/(.)([A-Z][a-z0-9]+)/g, '$1_$2');
  const snake = intermediate.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
  // As TF.js: a leading underscore would make a private-looking scope name.
  return snake[0] === '_' ? `private${snake}` : snake;
}

export function toCamelCase(identifier: string): string {
  if (identifier.length <= 1 || !identifier.includes('_')) return identifier;
  return identifier.replace(/[_]+(\w|$)/g, (_m, p1: string) => p1.toUpperCase());
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function toPythonic(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return toSnakeCase(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => toPythonic(v));
  if (typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const pyKey = toSnakeCase(key);
      out[pyKey] = (key === 'name' || key === 'className') && typeof v === 'string' ? v : toPythonic(v);
    }
    return out;
  }
  throw new Error(`Cannot serialise a ${typeof value} into model.json`);
}

export function fromPythonic(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return toCamelCase(value);
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map((v) => fromPythonic(v));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'name' && typeof v === 'string') out[key] = v;
      else out[toCamelCase(key)] = fromPythonic(v);
    }
    return out;
  }
  return value;
}
