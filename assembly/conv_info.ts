/** Geometry of a 2-D convolution (NHWC input, HWIO filter), laid out as int32 slots of the parameter block. */
@unmanaged export class ConvInfo {
  batch: i32 = 0; h: i32 = 0; w: i32 = 0; ci: i32 = 0;
  oh: i32 = 0; ow: i32 = 0; co: i32 = 0;
  kh: i32 = 0; kw: i32 = 0; sh: i32 = 0; sw: i32 = 0;
  dh: i32 = 0; dw: i32 = 0; pt: i32 = 0; pl: i32 = 0;
}
