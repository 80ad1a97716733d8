/** Checksum verification for data files. Node-only (node:crypto: md5 is not in WebCrypto). */
import { createHash } from 'node:crypto';

export type HashAlgorithm = 'md5' | 'sha256';

/** md5 for 32 hex digits, sha256 for 64. */
export function algorithmOf(hex: string, key: string): HashAlgorithm {
  if (/^[0-9a-f]{32}$/i.test(hex)) return 'md5';
  if (/^[0-9a-f]{64}$/i.test(hex)) return 'sha256';
  throw new Error(`checksum for ${key} must be 32 (md5) or 64 (sha256) hex digits, received '${hex}'`);
}

export function digest(bytes: Uint8Array, algorithm: HashAlgorithm): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

export interface VerifyResult {
  verified: boolean;
  /** How it was verified, or why it could not be. */
  detail: string;
}

/**
 * Checks a file against the table: by `storedName` (e.g. 'x.gz', the bytes as stored) and by
 * `rawName` (the uncompressed content). It passes when any known checksum matches, so official
 * .gz files and re-gzipped copies (Debian's) both pass. When checksums are known but none
 * matches, throws an Error naming the file with every expected and actual digest. When none is
 * known, returns verified: false.
 */
export function verifyBytes(args: {
  path: string;
  storedName: string;
  rawName: string;
  stored: Uint8Array;
  raw: Uint8Array;
  table: Readonly<Record<string, string>>;
}): VerifyResult {
  const { path, storedName, rawName, stored, raw, table } = args;
  const checks: { key: string; what: string; bytes: Uint8Array }[] = [];
  const compressed = storedName !== rawName;
  if (compressed && table[storedName]) checks.push({ key: storedName, what: 'of the file as stored', bytes: stored });
  if (table[rawName]) checks.push({ key: rawName, what: compressed ? 'of its uncompressed content' : 'of the file', bytes: raw });
  if (checks.length === 0) {
    return { verified: false, detail: `${path}: not verified (no known checksum for ${compressed ? `${storedName} or ${rawName}` : rawName})` };
  }
  const found: string[] = [];
  for (const c of checks) {
    const expected = table[c.key].toLowerCase();
    const algorithm = algorithmOf(expected, c.key);
    const actual = digest(c.bytes, algorithm);
    if (actual === expected) return { verified: true, detail: `${path}: ${algorithm} ${c.what} matches ${c.key}` };
    found.push(`${algorithm} ${actual} ${c.what}`);
  }
  const wanted = checks.map((c) => `${algorithmOf(table[c.key], c.key)} ${table[c.key].toLowerCase()} ${c.what} (${c.key})`);
  throw new Error(
    `Checksum mismatch for ${path}: expected ${wanted.join(' or ')}; found ${found.join(' and ')}. ` +
      `The file is corrupt, incomplete or not the expected ${rawName}: delete or replace it ` +
      `(or pass checksums / verify: false for files of your own).`,
  );
}
