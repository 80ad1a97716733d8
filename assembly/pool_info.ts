/** Pooling geometry, as src/kernels/wasm/backend.ts writes it into the parameter block. */
@unmanaged export class PoolInfo {
  batch: i32 = 0; h: i32 = 0; w: i32 = 0; c: i32 = 0;
  oh: i32 = 0; ow: i32 = 0; ph: i32 = 0; pw: i32 = 0;
  sh: i32 = 0; sw: i32 = 0; pt: i32 = 0; pl: i32 = 0;
}
