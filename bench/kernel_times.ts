/**
 * Wraps every kernel of the active backend to add up its time per call site while `on` is set
 * (bench/profile_step.ts, bench/profile_predict.ts): convolutions are keyed by their geometry.
 * Meaningful with unqueued kernels (CONVLAB_WASM_QUEUE=0), which finish inside the call.
 */
import { kernels } from '../src/kernels/registry.js';

export interface KernelTimes {
  on: boolean;
  times: Map<string, { ms: number; calls: number }>;
}

export function timeKernels(): KernelTimes {
  const state: KernelTimes = { on: false, times: new Map() };
  const k = kernels() as unknown as Record<string, unknown>;
  for (const [name, fn] of Object.entries(k)) {
    if (typeof fn !== 'function') continue;
    k[name] = (...args: unknown[]) => {
      if (!state.on) return (fn as (...a: unknown[]) => unknown)(...args);
      const t = performance.now();
      const r = (fn as (...a: unknown[]) => unknown)(...args);
      let key = name;
      // The convolution's geometry: argument 3, or 4 for the fused conv + pool (after its bias).
      const info = args[name === 'conv2dMaxPool' ? 4 : 3] as { inHeight?: number; inChannels?: number; outChannels?: number } | undefined;
      if (name.startsWith('conv2d') && info) key += ` ${info.inHeight}x${info.inHeight}x${info.inChannels}->${info.outChannels}`;
      const e = state.times.get(key) ?? { ms: 0, calls: 0 };
      e.ms += performance.now() - t;
      e.calls++;
      state.times.set(key, e);
      return r;
    };
  }
  return state;
}
