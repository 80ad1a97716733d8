/**
 * Node-only modules, imported on demand. The specifiers are held in variables so that browser
 * bundlers (Vite, esbuild) leave them alone: the modules that use them stay safe to bundle, and
 * in a browser only the Node-specific calls fail, with a message saying so.
 */
const FS_PROMISES = 'node:fs/promises';
const PATH = 'node:path';
const URL_MODULE = 'node:url';
const CRYPTO = 'node:crypto';

export function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function requireNode(what: string): void {
  if (!isNode()) {
    throw new Error(`${what} needs the file system and works only in Node; in a browser use 'downloads://name', 'indexeddb://name' or an http(s) URL`);
  }
}

export async function nodeFs(what: string): Promise<typeof import('node:fs/promises')> {
  requireNode(what);
  return import(/* @vite-ignore */ FS_PROMISES);
}

export async function nodePath(what: string): Promise<typeof import('node:path')> {
  requireNode(what);
  return import(/* @vite-ignore */ PATH);
}

export async function nodeUrl(what: string): Promise<typeof import('node:url')> {
  requireNode(what);
  return import(/* @vite-ignore */ URL_MODULE);
}

export async function nodeCrypto(what: string): Promise<typeof import('node:crypto')> {
  requireNode(what);
  return import(/* @vite-ignore */ CRYPTO);
}
