import { fileSystem } from './node_file.js';
import type { LoadLimits } from './limits.js';
import { isNode } from './platform.js';
import type { IOHandler } from './types.js';

/** Scheme-specific handler factories; the browser module registers 'downloads://' and 'indexeddb://'. */
const routers = new Map<string, (rest: string, limits?: Partial<LoadLimits>) => IOHandler>();

export function registerScheme(scheme: string, factory: (rest: string, limits?: Partial<LoadLimits>) => IOHandler): void {
  routers.set(scheme, factory);
}

function isHandler(value: unknown): value is IOHandler {
  return value !== null && typeof value === 'object' && (typeof (value as IOHandler).save === 'function' || typeof (value as IOHandler).load === 'function');
}

/**
 * Turns what the user gave into an IOHandler: a handler object as is (TF.js handlers work too),
 * 'file://...' or a plain path in Node, or a registered scheme such as 'indexeddb://name'.
 */
export function resolveHandler(target: string | IOHandler, purpose: 'save' | 'load', limits?: Partial<LoadLimits>): IOHandler {
  if (isHandler(target)) {
    if (typeof target[purpose] !== 'function') throw new Error(`The IO handler given has no ${purpose}() method`);
    return target;
  }
  if (typeof target !== 'string' || target.length === 0) {
    throw new Error(`Expected a path, a URL such as 'file://dir' or 'indexeddb://name', or an IOHandler with ${purpose}(); received ${target === '' ? 'an empty string' : typeof target}`);
  }
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(target)?.[1]?.toLowerCase();
  if (scheme && scheme !== 'file') {
    const factory = routers.get(scheme);
    if (!factory) {
      const known = ['file', ...routers.keys()].map((s) => `${s}://`).join(', ');
      throw new Error(`No ${purpose} handler for '${target}': the scheme '${scheme}://' is not supported here; supported: ${known}${isNode() ? '' : ' (import convlab in a browser to get the browser schemes)'}`);
    }
    const handler = factory(target.slice(scheme.length + 3), limits);
    if (typeof handler[purpose] !== 'function') throw new Error(`'${scheme}://' cannot ${purpose} models; it only supports ${purpose === 'load' ? 'saving' : 'loading'}`);
    return handler;
  }
  if (!isNode()) throw new Error(`Cannot ${purpose} '${target}': file paths work only in Node; in a browser use 'downloads://name', 'indexeddb://name' or an http(s) URL`);
  return fileSystem(target, { limits });
}
