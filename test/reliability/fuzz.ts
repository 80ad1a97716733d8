/**
 * Shared pieces of the fuzz tests: how many inputs to try, byte-level mutators, the check that a
 * parser's failure is a specific error of its own rather than a crash from deep inside, and the
 * replay of earlier findings.
 *
 * In `npm test` every property runs with a fixed seed (DEFAULT_SEED) and its default number of
 * inputs, then replays each finding recorded for it in corpus/findings.json (seed and path), so
 * the suite gives the same result on every run. Open-ended fuzzing with fresh seeds is
 * `npm run fuzz` (test/reliability/campaign.ts), which records what it finds here.
 *
 * Environment: FUZZ_RUNS=n changes the number of inputs of every property; FUZZ_SEED=n (and
 * FUZZ_PATH=p) replays a run that fast-check reported; FUZZ_FINDINGS_DIR=dir, set by the
 * campaign, makes a failing property write its seed, path, counterexample and last input there.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

/** The seed of every property in `npm test`. */
export const DEFAULT_SEED = 20261203;

const envRuns = Number(process.env.FUZZ_RUNS);
const envSeed = process.env.FUZZ_SEED === undefined || process.env.FUZZ_SEED === '' ? NaN : Number(process.env.FUZZ_SEED);
const envPath = process.env.FUZZ_PATH;
const findingsDir = process.env.FUZZ_FINDINGS_DIR;

/** A failure recorded by the campaign: enough to replay it exactly. */
export interface Finding {
  target: string;
  seed: number;
  path: string;
  counterexample: string;
  error: string;
  /** The input file saved beside findings.json in corpus/, when the property recorded one. */
  file?: string;
  /** 'open' until the bug is fixed; then 'fixed', with what was done. */
  status: 'open' | 'fixed';
  note?: string;
}

export const corpusDir = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

function recordedFindings(target: string): Finding[] {
  const all = JSON.parse(readFileSync(join(corpusDir, 'findings.json'), 'utf8')) as { findings: Finding[] };
  return all.findings.filter((f) => f.target === target);
}

let lastInput: { data: Uint8Array; ext: string } | null = null;

/** Remembers the input a property is about to try, so that a failure can be saved as a file. */
export function recordInput(data: Uint8Array | string, ext: string): void {
  if (!findingsDir) return;
  lastInput = { data: typeof data === 'string' ? new TextEncoder().encode(data) : data, ext };
}

/** fast-check parameters: `numRuns` defaults to `defaultRuns` unless FUZZ_RUNS is set. */
export function params(defaultRuns: number, target?: string): fc.Parameters<unknown> {
  const numRuns = Number.isInteger(envRuns) && envRuns > 0 ? envRuns : defaultRuns;
  const seed = Number.isInteger(envSeed) ? envSeed : DEFAULT_SEED;
  const p: fc.Parameters<unknown> = { numRuns, seed, endOnFailure: true, includeErrorInReport: true, ...(envPath ? { path: envPath } : {}) };
  if (findingsDir && target) {
    p.reporter = (details) => {
      if (!details.failed) return;
      saveFinding(target, details);
      throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
    };
  }
  return p;
}

function saveFinding(target: string, details: fc.RunDetails<unknown>): void {
  mkdirSync(findingsDir!, { recursive: true });
  const base = `${target}-seed${details.seed}-path${details.counterexamplePath ?? 'none'}`;
  const finding: Finding & { numRuns: number } = {
    target,
    seed: details.seed,
    path: details.counterexamplePath ?? '',
    counterexample: fc.stringify(details.counterexample).slice(0, 4000),
    error: String((details.errorInstance as Error | undefined)?.message ?? details.error ?? '').slice(0, 2000),
    status: 'open',
    numRuns: details.numRuns,
  };
  // With endOnFailure the last input tried is the failing one.
  if (lastInput) {
    finding.file = `${base}.${lastInput.ext}`;
    writeFileSync(join(findingsDir!, finding.file), lastInput.data);
  }
  writeFileSync(join(findingsDir!, `${base}.json`), JSON.stringify(finding, null, 2));
}

/** Runs a property with the fixed (or given) seed, then replays its recorded findings. */
export function fuzzCheck<T extends [unknown, ...unknown[]]>(target: string, property: fc.IProperty<T>, defaultRuns: number): void {
  fc.assert(property, params(defaultRuns, target) as fc.Parameters<T>);
  if (Number.isInteger(envSeed)) return;
  for (const f of recordedFindings(target)) fc.assert(property, { seed: f.seed, path: f.path, numRuns: 1, endOnFailure: true, includeErrorInReport: true });
}

/** fuzzCheck for an asynchronous property. */
export async function fuzzCheckAsync<T extends [unknown, ...unknown[]]>(target: string, property: fc.IAsyncProperty<T>, defaultRuns: number): Promise<void> {
  await fc.assert(property, params(defaultRuns, target) as fc.Parameters<T>);
  if (Number.isInteger(envSeed)) return;
  for (const f of recordedFindings(target)) await fc.assert(property, { seed: f.seed, path: f.path, numRuns: 1, endOnFailure: true, includeErrorInReport: true });
}

/** Errors thrown by the engine itself; a parser that lets one escape has a bug. */
const ENGINE_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/** The engine's messages, which betray such an error even when a parser rewraps it as an Error. */
const ENGINE_MESSAGES = /Invalid typed array length|Array buffer allocation failed|Cannot read propert|Cannot set propert|is not a function|is not iterable|offset is out of bounds|Maximum call stack|Invalid array length|undefined is not|null is not/;

/**
 * Checks that `e` is a deliberate error: an Error of an allowed class, not one of the engine's
 * own (a TypeError from reading past the end, a RangeError from a failed allocation), with a
 * message that names the input when `mentions` is given.
 */
export function assertSpecificError(e: unknown, allowed: Array<new (...args: never[]) => Error>, mentions?: string | RegExp): void {
  assert.ok(e instanceof Error, `threw a non-Error: ${String(e)}`);
  const engine = ENGINE_ERRORS.find((c) => e instanceof c);
  assert.ok(!engine, `escaped ${e.name} from inside the parser: ${e.message}\n${e.stack}`);
  assert.ok(allowed.some((c) => e instanceof c), `expected ${allowed.map((c) => c.name).join(' or ')}, got ${e.name}: ${e.message}`);
  assert.doesNotMatch(e.message, ENGINE_MESSAGES, 'an engine error rewrapped as a parser error');
  assert.ok(e.message.length > 10, `uninformative message '${e.message}'`);
  if (typeof mentions === 'string') assert.ok(e.message.includes(mentions), `message does not name '${mentions}': ${e.message}`);
  else if (mentions) assert.match(e.message, mentions);
}

/** Runs `f`, failing if it takes longer than `ms` (a parser must never hang on bad input). */
export async function within<T>(ms: number, what: string, f: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (hang?)`)), ms);
  });
  try {
    return await Promise.race([f(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A change to a byte array: the kinds of damage a download or a hostile writer produces. */
export type Mutation =
  | { kind: 'flip'; edits: Array<[number, number]> }
  | { kind: 'truncate'; at: number }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'uint32'; at: number; value: number; littleEndian: boolean }
  | { kind: 'splice'; at: number; bytes: Uint8Array }
  | { kind: 'none' };

/** uint32 values biased towards the ones that break size arithmetic. */
export const sizeLike = fc.oneof(
  fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 2 ** 24, 2 ** 30, 60000, 10000),
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0, max: 64 }),
);

export function mutation(maxOffset = 64): fc.Arbitrary<Mutation> {
  const offset = fc.integer({ min: 0, max: maxOffset });
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
    fc.record({ kind: fc.constant('uint32' as const), at: offset, value: sizeLike, littleEndian: fc.boolean() }),
    fc.record({ kind: fc.constant('splice' as const), at: offset, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.constant({ kind: 'none' as const }),
  );
}

/** Applies a mutation to a copy of `bytes`; offsets wrap around the length. */
export function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = new Uint8Array(bytes);
  const n = out.length;
  switch (m.kind) {
    case 'flip':
      if (n > 0) for (const [at, v] of m.edits) out[at % n] = v;
      return out;
    case 'truncate':
      return out.subarray(0, n === 0 ? 0 : m.at % n);
    case 'append': {
      const longer = new Uint8Array(n + m.bytes.length);
      longer.set(out);
      longer.set(m.bytes, n);
      return longer;
    }
    case 'uint32':
      if (m.at + 4 <= n) new DataView(out.buffer).setUint32(m.at, m.value, m.littleEndian);
      return out;
    case 'splice': {
      const at = n === 0 ? 0 : m.at % n;
      const spliced = new Uint8Array(n + m.bytes.length);
      spliced.set(out.subarray(0, at));
      spliced.set(m.bytes, at);
      spliced.set(out.subarray(at), at + m.bytes.length);
      return spliced;
    }
    default:
      return out;
  }
}

/** Several mutations in a row. */
export function mutations(maxOffset = 64): fc.Arbitrary<Mutation[]> {
  return fc.array(mutation(maxOffset), { minLength: 1, maxLength: 3 });
}

export function mutateAll(bytes: Uint8Array, ms: Mutation[]): Uint8Array {
  return ms.reduce((b, m) => mutate(b, m), bytes);
}

/**
 * Memory guard for a whole property run: resident memory may not grow by more than `maxMiB`.
 * The parsers' own inputs are kilobytes, so any large growth means something allocated what a
 * header claimed instead of what the bytes justify.
 */
export function memoryGuard(maxMiB: number): () => void {
  const before = process.memoryUsage().rss;
  return () => {
    const grown = (process.memoryUsage().rss - before) / 2 ** 20;
    assert.ok(grown < maxMiB, `resident memory grew by ${grown.toFixed(0)} MiB during the run (limit ${maxMiB} MiB)`);
  };
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a JSON tree. */
function paths(value: Json, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

export type Edit = { at: number; op: 'replace'; value: Json } | { at: number; op: 'delete' };

const jsonLeaf = fc.oneof(
  sizeLike,
  fc.constantFrom(-1, 0, 0.5, 1e308, -1e308, 2 ** 53, '', 'relu', 'same', 'valid', 'channelsFirst', 'float16', 'Dense', 'Conv2D', 'Sequential', null, true, [], {}, [0], [-1, 8, 8, 1], [null, 8, 8, 1], [1e9, 1e9]),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);
const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ at: fc.nat(), op: fc.constant('replace' as const), value: jsonLeaf }),
  fc.record({ at: fc.nat(), op: fc.constant('delete' as const) }),
);

/** A deep copy of `json` with the edits applied, each at a path picked among the current ones. */
export function applyEdits(json: { [k: string]: Json }, edits: Edit[]): { [k: string]: Json } {
  const copy = structuredClone(json);
  for (const e of edits) {
    const all = paths(copy).filter((p) => p.length > 0);
    if (all.length === 0) break;
    const p = all[e.at % all.length];
    let parent: Json = copy;
    for (const k of p.slice(0, -1)) parent = (parent as Record<string | number, Json>)[k];
    const last = p[p.length - 1];
    if (e.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(last as number, 1);
      else delete (parent as Record<string, Json>)[last as string];
    } else {
      (parent as Record<string | number, Json>)[last] = structuredClone(e.value);
    }
  }
  return copy;
}

/** One to three edits. */
export const jsonEdits: fc.Arbitrary<Edit[]> = fc.array(edit, { minLength: 1, maxLength: 3 });
