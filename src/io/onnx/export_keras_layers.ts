import type { Layer, SymbolicShape } from '../../layers/index.js';
import { conv2dInfo, outputLength, type Padding } from '../../ops/conv_util.js';
import type { Exporter } from './export.js';
import type { AttrValue } from './graph.js';

/**
 * ONNX (opset 13) for the layers added for Keras files. Ops that need channels-first (Conv,
 * ConvTranspose, pooling, Resize) switch the layout with e.toNCHW(); anything whose result
 * depends on Keras's axis order (Reshape, Permute, Softmax, PReLU's alpha, normalisations)
 * switches back with e.toNHWC() first. 1-D layers transpose [N, L, C] ↔ [N, C, L] around
 * their op. Merge layers are in export_graph.ts, with the Functional graph walk.
 */

type AnyLayer = Layer & Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
type LayerExport = (e: Exporter, layer: AnyLayer, inShape: SymbolicShape) => void;

function known(layer: Layer, shape: SymbolicShape, rank: number): number[] {
  if (shape.length !== rank || shape.slice(1).some((d) => d === null)) {
    throw new Error(`ONNX export: layer '${layer.name}' (${layer.className}) needs a fully known rank-${rank} input, has ${JSON.stringify(shape)}`);
  }
  return shape as number[];
}

/** [top, left, bottom, right] as TensorFlow pads a convolution or pooling window. */
function windowPads(size: [number, number], window: [number, number], strides: [number, number], dilation: [number, number], padding: Padding): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  const begin: number[] = [];
  const end: number[] = [];
  for (const a of [0, 1]) {
    const { out, padBefore } = outputLength(size[a], window[a], strides[a], dilation[a], padding);
    const total = Math.max((out - 1) * strides[a] + (window[a] - 1) * dilation[a] + 1 - size[a], 0);
    begin.push(padBefore);
    end.push(total - padBefore);
  }
  return [...begin, ...end];
}

/** A constant broadcastable against the Keras-order (NHWC) tensor: the sample axes only. */
function sampleConstant(e: Exporter, base: string, inShape: SymbolicShape, axes: number[], values: ArrayLike<number>): string {
  const dims = inShape.slice(1).map((d, i) => (axes.includes(i + 1) ? (d as number) : 1));
  const data = values.length === 1 ? Array.from({ length: dims.reduce((p, d) => p * d, 1) }, () => values[0]) : values;
  return e.g.constant(base, dims, data);
}

function activationAfter(e: Exporter, layer: AnyLayer): void {
  e.activation(layer.activation, layer.name);
}

function addBias(e: Exporter, layer: AnyLayer, inputs: string[]): void {
  if (layer.bias) inputs.push(e.g.constant(`${layer.name}/bias`, [layer.bias.value.size], layer.bias.value.data));
}

/** Depthwise kernel [kh, kw, C, M] → grouped Conv weight [C·M, 1, kh, kw]. */
function depthwiseWeight(e: Exporter, layer: AnyLayer): string {
  const k = layer.depthwiseKernel.value;
  const [kh, kw, c, m] = k.shape;
  const out = new Float32Array(k.size);
  for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let i = 0; i < c; i++) for (let j = 0; j < m; j++) {
    out[(((i * m + j) * 1) * kh + y) * kw + x] = k.data[((y * kw + x) * c + i) * m + j];
  }
  return e.g.constant(`${layer.name}/depthwise_kernel`, [c * m, 1, kh, kw], out);
}

function depthwise(e: Exporter, layer: AnyLayer, inShape: SymbolicShape, withBias: boolean): void {
  const s = known(layer, inShape, 4);
  e.toNCHW(layer.name);
  const inputs = [e.value, depthwiseWeight(e, layer)];
  if (withBias) addBias(e, layer, inputs);
  e.value = e.g.node('Conv', inputs, layer.name, {
    kernel_shape: [...layer.kernelSize], strides: [...layer.strides], dilations: [...layer.dilationRate], group: s[3],
    pads: windowPads([s[1], s[2]], layer.kernelSize, layer.strides, layer.dilationRate, layer.padding),
  });
}

/** Runs `op` on a [N, L, C] tensor as [N, C, L]. */
function channelsFirst1d(e: Exporter, layer: Layer, op: () => void): void {
  e.value = e.g.node('Transpose', [e.value], layer.name, { perm: [0, 2, 1] });
  op();
  e.value = e.g.node('Transpose', [e.value], layer.name, { perm: [0, 2, 1] });
}

function pool1d(e: Exporter, layer: AnyLayer, inShape: SymbolicShape, op: 'MaxPool' | 'AveragePool'): void {
  const s = known(layer, inShape, 3);
  const [top, , bottom] = windowPads([s[1], 1], [layer.poolSize, 1], [layer.strides, 1], [1, 1], layer.padding);
  channelsFirst1d(e, layer, () => {
    const attrs: Record<string, AttrValue> = { kernel_shape: [layer.poolSize], strides: [layer.strides], pads: [top, bottom] };
    if (op === 'AveragePool') attrs.count_include_pad = 0;
    e.value = e.g.node(op, [e.value], layer.name, attrs);
  });
}

function resize(e: Exporter, layer: Layer, inShape: SymbolicShape, height: number, width: number, interpolation: string): void {
  const s = known(layer, inShape, 4);
  e.toNCHW(layer.name);
  const attrs: Record<string, AttrValue> = interpolation === 'nearest'
    ? { mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn', nearest_mode: 'floor' }
    : { mode: 'linear', coordinate_transformation_mode: 'half_pixel' };
  // Scales rather than sizes, so the batch stays dynamic; ONNX Runtime derives the same
  // half-pixel coordinates from out/in either way.
  const roi = e.g.constant(`${layer.name}/roi`, [0], []);
  const scales = e.g.constant(`${layer.name}/scales`, [4], [1, 1, height / s[1], width / s[2]]);
  e.value = e.g.node('Resize', [e.value, roi, scales], layer.name, attrs);
}

/** Crops [N, H, W, C] by Slice on the Keras-order axes 1 and 2. */
function crop(e: Exporter, layer: Layer, top: number, left: number, height: number, width: number): void {
  e.toNHWC(layer.name);
  e.value = e.g.node('Slice', [e.value, e.g.int64(`${layer.name}/starts`, [top, left]), e.g.int64(`${layer.name}/ends`, [top + height, left + width]), e.g.int64(`${layer.name}/axes`, [1, 2])], layer.name);
}

export const kerasLayerExporters: Record<string, LayerExport> = {
  ZeroPadding2D: (e, layer, inShape) => {
    known(layer, inShape, 4);
    const [[t, b], [l, r]] = layer.padding as number[][];
    const pads = e.layout === 'NCHW' ? [0, 0, t, l, 0, 0, b, r] : [0, t, l, 0, 0, b, r, 0];
    e.value = e.g.node('Pad', [e.value, e.g.int64(`${layer.name}/pads`, pads)], layer.name, { mode: 'constant' });
  },
  Cropping2D: (e, layer, inShape) => {
    const s = known(layer, inShape, 4);
    const [[t, b], [l, r]] = layer.cropping as number[][];
    crop(e, layer, t, l, s[1] - t - b, s[2] - l - r);
  },
  CenterCrop: (e, layer, inShape) => {
    const s = known(layer, inShape, 4);
    crop(e, layer, Math.floor((s[1] - layer.height) / 2), Math.floor((s[2] - layer.width) / 2), layer.height, layer.width);
  },
  UpSampling2D: (e, layer, inShape) => {
    const s = known(layer, inShape, 4);
    resize(e, layer, inShape, s[1] * layer.size[0], s[2] * layer.size[1], layer.interpolation);
  },
  Resizing: (e, layer, inShape) => {
    const s = known(layer, inShape, 4);
    if (layer.cropToAspectRatio) {
      const cropH = Math.min(s[1], Math.floor((s[2] * layer.height) / layer.width));
      const cropW = Math.min(s[2], Math.floor((s[1] * layer.width) / layer.height));
      crop(e, layer, Math.floor((s[1] - cropH) / 2), Math.floor((s[2] - cropW) / 2), cropH, cropW);
      resize(e, layer, [null, cropH, cropW, s[3]], layer.height, layer.width, layer.interpolation);
    } else {
      resize(e, layer, inShape, layer.height, layer.width, layer.interpolation);
    }
  },
  Reshape: (e, layer, inShape) => {
    e.toNHWC(layer.name);
    e.value = e.g.node('Reshape', [e.value, e.g.int64(`${layer.name}/shape`, [0, ...layer.targetShape])], layer.name);
    e.layout = layer.targetShape.length === 3 ? 'NHWC' : 'other';
    void inShape;
  },
  Permute: (e, layer) => {
    e.toNHWC(layer.name);
    e.value = e.g.node('Transpose', [e.value], layer.name, { perm: [0, ...layer.dims] });
  },
  ReLU: (e, layer) => {
    const { maxValue, negativeSlope, threshold } = layer as unknown as { maxValue: number | null; negativeSlope: number; threshold: number };
    if (negativeSlope === 0 && threshold === 0) {
      e.value = maxValue === null
        ? e.g.node('Relu', [e.value], layer.name)
        : e.g.node('Clip', [e.value, e.g.constant(`${layer.name}/min`, [], [0]), e.g.constant(`${layer.name}/max`, [], [maxValue])], layer.name);
      return;
    }
    // where(x >= threshold, x, slope · (x - threshold)), then min(·, maxValue).
    const x = e.value;
    const thr = e.g.constant(`${layer.name}/threshold`, [], [threshold]);
    const below = e.g.node('Mul', [e.g.node('Sub', [x, thr], layer.name), e.g.constant(`${layer.name}/slope`, [], [negativeSlope])], layer.name);
    e.value = e.g.node('Where', [e.g.node('GreaterOrEqual', [x, thr], layer.name), x, below], layer.name);
    if (maxValue !== null) e.value = e.g.node('Min', [e.value, e.g.constant(`${layer.name}/max`, [], [maxValue])], layer.name);
  },
  LeakyReLU: (e, layer) => {
    e.value = e.g.node('LeakyRelu', [e.value], layer.name, { alpha: { float: layer.alpha } });
  },
  ELU: (e, layer) => {
    e.value = e.g.node('Elu', [e.value], layer.name, { alpha: { float: layer.alpha } });
  },
  PReLU: (e, layer) => {
    e.toNHWC(layer.name);
    const alpha = layer.alpha.value;
    e.value = e.g.node('PRelu', [e.value, e.g.constant(`${layer.name}/alpha`, [...alpha.shape], alpha.data)], layer.name);
  },
  Softmax: (e, layer) => {
    e.toNHWC(layer.name);
    e.value = e.g.node('Softmax', [e.value], layer.name, { axis: layer.axis });
  },
  GlobalMaxPooling2D: (e, layer, inShape) => {
    known(layer, inShape, 4);
    e.toNCHW(layer.name);
    e.value = e.g.node('GlobalMaxPool', [e.value], layer.name);
    e.value = e.g.node('Flatten', [e.value], layer.name, { axis: 1 });
    e.layout = 'other';
  },
  DepthwiseConv2D: (e, layer, inShape) => {
    depthwise(e, layer, inShape, true);
    activationAfter(e, layer);
  },
  SeparableConv2D: (e, layer, inShape) => {
    depthwise(e, layer, inShape, false);
    const p = layer.pointwiseKernel.value;
    const [, , cm, f] = p.shape;
    const w = new Float32Array(p.size);
    for (let i = 0; i < cm; i++) for (let o = 0; o < f; o++) w[o * cm + i] = p.data[i * f + o];
    const inputs = [e.value, e.g.constant(`${layer.name}/pointwise_kernel`, [f, cm, 1, 1], w)];
    addBias(e, layer, inputs);
    e.value = e.g.node('Conv', inputs, layer.name, { kernel_shape: [1, 1] });
    activationAfter(e, layer);
  },
  Conv2DTranspose: (e, layer, inShape) => {
    const s = known(layer, inShape, 4);
    e.toNCHW(layer.name);
    const k = layer.kernel.value;
    const [kh, kw, f, c] = k.shape;
    const w = new Float32Array(k.size);
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let o = 0; o < f; o++) for (let i = 0; i < c; i++) {
      w[((i * f + o) * kh + y) * kw + x] = k.data[((y * kw + x) * f + o) * c + i];
    }
    const out = layer.computeOutputShape(inShape) as number[];
    const dilations: [number, number] = layer.dilationRate;
    // The pads of the convolution this one transposes (TensorFlow's, from the output size, which
    // Keras's output_padding set); a negative end becomes ONNX's output_padding.
    const info = conv2dInfo([s[0] ?? 1, out[1], out[2], f], k.shape, layer.strides, layer.padding, dilations);
    const begin = [info.padTop, info.padLeft];
    const end = [0, 1].map((a) => layer.strides[a] * (s[a + 1] - 1) + (k.shape[a] - 1) * dilations[a] + 1 - out[a + 1] - begin[a]);
    const inputs = [e.value, e.g.constant(`${layer.name}/kernel`, [c, f, kh, kw], w)];
    addBias(e, layer, inputs);
    e.value = e.g.node('ConvTranspose', inputs, layer.name, {
      kernel_shape: [kh, kw], strides: [...layer.strides], dilations: [...dilations], pads: [...begin, ...end.map((v) => Math.max(v, 0))], output_padding: end.map((v) => Math.max(-v, 0)),
    });
    activationAfter(e, layer);
  },
  Conv1D: (e, layer, inShape) => {
    const s = known(layer, inShape, 3);
    const k = layer.kernel.value;
    const [size, c, f] = k.shape;
    const w = new Float32Array(k.size);
    for (let t = 0; t < size; t++) for (let i = 0; i < c; i++) for (let o = 0; o < f; o++) w[(o * c + i) * size + t] = k.data[(t * c + i) * f + o];
    const pads = layer.padding === 'causal' ? [(size - 1) * layer.dilationRate, 0]
      : (([top, , bottom]) => [top, bottom])(windowPads([s[1], 1], [size, 1], [layer.strides, 1], [layer.dilationRate, 1], layer.padding));
    channelsFirst1d(e, layer, () => {
      const inputs = [e.value, e.g.constant(`${layer.name}/kernel`, [f, c, size], w)];
      addBias(e, layer, inputs);
      e.value = e.g.node('Conv', inputs, layer.name, { kernel_shape: [size], strides: [layer.strides], dilations: [layer.dilationRate], pads });
    });
    activationAfter(e, layer);
  },
  MaxPooling1D: (e, layer, inShape) => pool1d(e, layer, inShape, 'MaxPool'),
  AveragePooling1D: (e, layer, inShape) => pool1d(e, layer, inShape, 'AveragePool'),
  GlobalAveragePooling1D: (e, layer) => {
    e.value = e.g.node('ReduceMean', [e.value], layer.name, { axes: [1], keepdims: 0 });
  },
  GlobalMaxPooling1D: (e, layer) => {
    e.value = e.g.node('ReduceMax', [e.value], layer.name, { axes: [1], keepdims: 0 });
  },
  Embedding: (e, layer) => {
    const table = layer.embeddings.value;
    const ids = e.g.node('Cast', [e.value], layer.name, { to: 7 });
    e.value = e.g.node('Gather', [e.g.constant(`${layer.name}/embeddings`, [...table.shape], table.data), ids], layer.name, { axis: 0 });
    e.layout = 'other';
  },
  LayerNormalization: (e, layer, inShape) => {
    e.toNHWC(layer.name);
    const axes = (Array.isArray(layer.axis) ? layer.axis : [layer.axis]).map((a: number) => (a < 0 ? a + inShape.length : a));
    const x = e.value;
    const centered = e.g.node('Sub', [x, e.g.node('ReduceMean', [x], layer.name, { axes, keepdims: 1 })], layer.name);
    const variance = e.g.node('ReduceMean', [e.g.node('Mul', [centered, centered], layer.name)], layer.name, { axes, keepdims: 1 });
    const std = e.g.node('Sqrt', [e.g.node('Add', [variance, e.g.constant(`${layer.name}/epsilon`, [], [layer.epsilon])], layer.name)], layer.name);
    e.value = e.g.node('Div', [centered, std], layer.name);
    if (layer.gamma) e.value = e.g.node('Mul', [e.value, sampleConstant(e, `${layer.name}/gamma`, inShape, axes, layer.gamma.value.data)], layer.name);
    if (layer.beta) e.value = e.g.node('Add', [e.value, sampleConstant(e, `${layer.name}/beta`, inShape, axes, layer.beta.value.data)], layer.name);
  },
  Normalization: (e, layer, inShape) => {
    e.toNHWC(layer.name);
    const axes = (layer.axis as number[]).map((a) => (a < 0 ? a + inShape.length : a));
    const mean: ArrayLike<number> = layer.fixedMean ?? layer.mean.value.data;
    const variance: ArrayLike<number> = layer.fixedVariance ?? layer.variance.value.data;
    const std = Array.from(variance, (v) => Math.max(Math.sqrt(v), 1e-7));
    const m = sampleConstant(e, `${layer.name}/mean`, inShape, axes, mean);
    const d = sampleConstant(e, `${layer.name}/std`, inShape, axes, std);
    e.value = layer.invert ? e.g.node('Add', [e.g.node('Mul', [e.value, d], layer.name), m], layer.name) : e.g.node('Div', [e.g.node('Sub', [e.value, m], layer.name), d], layer.name);
  },
  SpatialDropout2D: () => undefined,
  GaussianNoise: () => undefined,
};

/** The activations ONNX has no single op for in opset 13, or that need constants. */
export function kerasActivation(e: Exporter, name: string, base: string): boolean {
  const x = e.value;
  const c = (label: string, v: number): string => e.g.constant(`${base}/${label}`, [], [v]);
  switch (name) {
    case 'relu6': e.value = e.g.node('Clip', [x, c('min', 0), c('max', 6)], base); return true;
    case 'selu': e.value = e.g.node('Selu', [x], base); return true;
    case 'softplus': e.value = e.g.node('Softplus', [x], base); return true;
    case 'softsign': e.value = e.g.node('Softsign', [x], base); return true;
    case 'exponential': e.value = e.g.node('Exp', [x], base); return true;
    case 'hardSigmoid': e.value = e.g.node('HardSigmoid', [x], base, { alpha: { float: 0.2 }, beta: { float: 0.5 } }); return true;
    case 'hardSigmoidKeras3': e.value = e.g.node('HardSigmoid', [x], base, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } }); return true;
    case 'swish': e.value = e.g.node('Mul', [x, e.g.node('Sigmoid', [x], base)], base); return true;
    case 'gelu': {
      const erf = e.g.node('Erf', [e.g.node('Mul', [x, c('inv_sqrt2', Math.SQRT1_2)], base)], base);
      e.value = e.g.node('Mul', [e.g.node('Mul', [x, c('half', 0.5)], base), e.g.node('Add', [erf, c('one', 1)], base)], base);
      return true;
    }
    case 'gelu_new': {
      const cube = e.g.node('Mul', [x, e.g.node('Mul', [x, x], base)], base);
      const inner = e.g.node('Mul', [e.g.node('Add', [x, e.g.node('Mul', [cube, c('k', 0.044715)], base)], base), c('sqrt_2_pi', Math.sqrt(2 / Math.PI))], base);
      e.value = e.g.node('Mul', [e.g.node('Mul', [x, c('half', 0.5)], base), e.g.node('Add', [e.g.node('Tanh', [inner], base), c('one', 1)], base)], base);
      return true;
    }
    default: return false;
  }
}
