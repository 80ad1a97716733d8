/** Parsing and checking option values, with messages that say what was expected. */
import { CliError } from './context.js';

export function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n <= 0) throw new CliError(`${name} must be a positive integer, received '${value}'`);
    return n;
  };
}

export function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n)) throw new CliError(`${name} must be a non-negative integer, received '${value}'`);
    return n;
  };
}

export function fraction(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n >= 1) throw new CliError(`${name} must be a number in [0, 1), received '${value}'`);
    return n;
  };
}

export function positiveNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CliError(`${name} must be a positive number, received '${value}'`);
    return n;
  };
}

export function nonNegativeNumber(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliError(`${name} must be a number ≥ 0, received '${value}'`);
    return n;
  };
}

export function oneOf<T extends string>(name: string, valid: readonly T[]) {
  return (value: string): T => {
    const v = value.toLowerCase() as T;
    if (!valid.includes(v)) throw new CliError(`${name} must be one of ${valid.join(', ')}, received '${value}'`);
    return v;
  };
}

export function formatInt(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatShape(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}
