import {
  CHANNELS_LAST, PADDINGS, REGULARIZED, activation, dimensionPair, finiteNumber, initializer, layerArgs, mustBeAbsent, oneOf, optionalBoolean, seedOf, where,
  type ConfigContext,
} from './layer_configs.js';
import { ModelFormatError, checkDimension, describe } from './limits.js';

/**
 * Config readers for the layers added for real Keras CNN files (issue 20), in the same form as
 * layer_configs.ts: TF.js-format (camelCased) config → constructor arguments, every field
 * checked. Importing this module registers them in `layerArgs`; topology.ts imports it.
 */

type Config = Record<string, unknown>;

/** A positive integer or a list of one (TF.js writes 1-D sizes as [n]). */
function dimensionOne(c: Config, field: string, ctx: ConfigContext, required: boolean): number | undefined {
  const v = c[field];
  if (v === undefined || v === null) {
    if (required) throw new ModelFormatError(`${where(ctx, field)} is missing; expected a positive integer`);
    return undefined;
  }
  const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
  return checkDimension(n, where(ctx, field), ctx.limits);
}

/** Conv2DTranspose's output_padding: null, or a non-negative integer or pair (the layer checks it against the strides). */
function outputPadding(c: Config, ctx: ConfigContext): number | [number, number] | null {
  const v = c.outputPadding;
  if (v === undefined || v === null) return null;
  const ok = (d: unknown): d is number => typeof d === 'number' && Number.isInteger(d) && d >= 0 && d <= ctx.limits.maxDimension;
  if (ok(v)) return v;
  if (Array.isArray(v) && v.length === 2 && v.every(ok)) return [v[0], v[1]];
  throw new ModelFormatError(`${where(ctx, 'outputPadding')} must be null, a non-negative integer or a pair of them, received ${describe(v)}`);
}

function dimensionList(c: Config, field: string, ctx: ConfigContext, allowMinusOne: boolean): number[] {
  const v = c[field];
  if (!Array.isArray(v) || v.length === 0 || v.length > 8) throw new ModelFormatError(`${where(ctx, field)} must be a list of 1 to 8 integers, received ${describe(v)}`);
  return v.map((d, i) => (allowMinusOne && d === -1 ? -1 : checkDimension(d, `${where(ctx, field)}[${i}]`, ctx.limits)));
}

/** n, [h, w] or [[top, bottom], [left, right]], non-negative. */
function borders(c: Config, field: string, ctx: ConfigContext): unknown {
  const v = c[field];
  if (v === undefined || v === null) return undefined;
  const cell = (d: unknown, i: string): number => checkDimension(d, `${where(ctx, field)}${i}`, ctx.limits, true);
  if (typeof v === 'number') return cell(v, '');
  if (Array.isArray(v) && v.length === 2) {
    if (v.every((d) => typeof d === 'number')) return [cell(v[0], '[0]'), cell(v[1], '[1]')];
    if (v.every((d) => Array.isArray(d) && d.length === 2)) return (v as unknown[][]).map((pair, i) => pair.map((d, j) => cell(d, `[${i}][${j}]`)));
  }
  throw new ModelFormatError(`${where(ctx, field)} must be n, [height, width] or [[top, bottom], [left, right]], received ${describe(v)}`);
}

function integerAxis(v: unknown, ctx: ConfigContext, field: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 8) throw new ModelFormatError(`${where(ctx, field)} must be an integer axis such as -1, received ${describe(v)}`);
  return v;
}

function axisOrAxes(c: Config, field: string, ctx: ConfigContext, allowNull: boolean): number | number[] | null | undefined {
  const v = c[field];
  if (v === undefined) return undefined;
  if (v === null) {
    if (allowNull) return null;
    return undefined;
  }
  if (Array.isArray(v)) {
    if (v.length === 0 || v.length > 8) throw new ModelFormatError(`${where(ctx, field)} must list 1 to 8 axes, received ${describe(v)}`);
    return v.map((a) => integerAxis(a, ctx, field));
  }
  return integerAxis(v, ctx, field);
}

function noKeepdims(c: Config, ctx: ConfigContext): void {
  if (c.keepdims === true) throw new ModelFormatError(`${where(ctx, 'keepdims')} true is not supported; only false`);
}

function rate(c: Config, ctx: ConfigContext): number {
  const r = finiteNumber(c, 'rate', ctx);
  if (r === undefined || r < 0 || r >= 1) throw new ModelFormatError(`${where(ctx, 'rate')} must be a number in [0, 1), received ${describe(c.rate)}`);
  return r;
}

/** A number or a list of numbers (Normalization's mean and variance). */
function numbers(c: Config, field: string, ctx: ConfigContext): number | number[] | null {
  const v = c[field];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (Array.isArray(v) && v.length <= ctx.limits.maxDimension && v.every((e) => typeof e === 'number' && Number.isFinite(e))) return v as number[];
  throw new ModelFormatError(`${where(ctx, field)} must be a finite number or a flat list of them, received ${describe(v)}`);
}

function depthwiseArgs(c: Config, ctx: ConfigContext): Config {
  mustBeAbsent(c, ['depthwiseRegularizer', 'biasRegularizer', 'activityRegularizer', 'depthwiseConstraint', 'biasConstraint'], ctx);
  return {
    kernelSize: dimensionPair(c, 'kernelSize', ctx, true),
    strides: dimensionPair(c, 'strides', ctx, false),
    padding: oneOf(c, 'padding', PADDINGS, ctx),
    dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx),
    dilationRate: dimensionPair(c, 'dilationRate', ctx, false),
    depthMultiplier: dimensionOne(c, 'depthMultiplier', ctx, false),
    activation: activation(c, ctx),
    useBias: optionalBoolean(c, 'useBias', ctx),
    depthwiseInitializer: initializer(c, 'depthwiseInitializer', ctx),
    biasInitializer: initializer(c, 'biasInitializer', ctx),
  };
}

function pooling1dArgs(c: Config, ctx: ConfigContext): Config {
  return {
    poolSize: dimensionOne(c, 'poolSize', ctx, false),
    strides: dimensionOne(c, 'strides', ctx, false),
    padding: oneOf(c, 'padding', PADDINGS, ctx),
    dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx),
  };
}

const globalPoolingArgs = (c: Config, ctx: ConfigContext): Config => {
  noKeepdims(c, ctx);
  return { dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx) };
};

const kerasLayerArgs: Record<string, (c: Config, ctx: ConfigContext) => Config> = {
  ZeroPadding2D: (c, ctx) => ({ padding: borders(c, 'padding', ctx), dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx) }),
  Cropping2D: (c, ctx) => ({ cropping: borders(c, 'cropping', ctx), dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx) }),
  UpSampling2D: (c, ctx) => ({
    size: dimensionPair(c, 'size', ctx, false),
    interpolation: oneOf(c, 'interpolation', ['nearest', 'bilinear'] as const, ctx),
    dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx),
  }),
  Reshape: (c, ctx) => ({ targetShape: dimensionList(c, 'targetShape', ctx, true) }),
  Permute: (c, ctx) => ({ dims: dimensionList(c, 'dims', ctx, false) }),
  ReLU: (c, ctx) => ({
    maxValue: finiteNumber(c, 'maxValue', ctx) ?? null,
    negativeSlope: finiteNumber(c, 'negativeSlope', ctx),
    threshold: finiteNumber(c, 'threshold', ctx),
  }),
  // TF.js and Keras 2 write alpha, Keras 3 negative_slope.
  LeakyReLU: (c, ctx) => ({ alpha: finiteNumber(c, 'alpha', ctx) ?? finiteNumber(c, 'negativeSlope', ctx) }),
  ELU: (c, ctx) => ({ alpha: finiteNumber(c, 'alpha', ctx) }),
  PReLU: (c, ctx) => {
    mustBeAbsent(c, ['alphaRegularizer', 'alphaConstraint'], ctx);
    const shared = c.sharedAxes;
    let sharedAxes: number[] | null = null;
    if (shared !== undefined && shared !== null) {
      const list = Array.isArray(shared) ? shared : [shared];
      sharedAxes = list.map((a, i) => checkDimension(a, `${where(ctx, 'sharedAxes')}[${i}]`, ctx.limits));
    }
    return { alphaInitializer: initializer(c, 'alphaInitializer', ctx), sharedAxes };
  },
  Softmax: (c, ctx) => ({ axis: axisOrAxes(c, 'axis', ctx, false) }),
  DepthwiseConv2D: (c, ctx) => depthwiseArgs(c, ctx),
  SeparableConv2D: (c, ctx) => {
    mustBeAbsent(c, ['pointwiseRegularizer', 'pointwiseConstraint'], ctx);
    return {
      ...depthwiseArgs(c, ctx),
      filters: checkDimension(c.filters, where(ctx, 'filters'), ctx.limits),
      pointwiseInitializer: initializer(c, 'pointwiseInitializer', ctx),
    };
  },
  Conv2DTranspose: (c, ctx) => {
    mustBeAbsent(c, REGULARIZED, ctx);
    return {
      outputPadding: outputPadding(c, ctx),
      filters: checkDimension(c.filters, where(ctx, 'filters'), ctx.limits),
      kernelSize: dimensionPair(c, 'kernelSize', ctx, true),
      strides: dimensionPair(c, 'strides', ctx, false),
      padding: oneOf(c, 'padding', PADDINGS, ctx),
      dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx),
      dilationRate: dimensionPair(c, 'dilationRate', ctx, false),
      activation: activation(c, ctx),
      useBias: optionalBoolean(c, 'useBias', ctx),
      kernelInitializer: initializer(c, 'kernelInitializer', ctx),
      biasInitializer: initializer(c, 'biasInitializer', ctx),
    };
  },
  Conv1D: (c, ctx) => {
    mustBeAbsent(c, REGULARIZED, ctx);
    if (c.groups !== undefined && c.groups !== null && c.groups !== 1) throw new ModelFormatError(`${where(ctx, 'groups')} must be 1, received ${describe(c.groups)}`);
    oneOf(c, 'dataFormat', CHANNELS_LAST, ctx);
    return {
      filters: checkDimension(c.filters, where(ctx, 'filters'), ctx.limits),
      kernelSize: dimensionOne(c, 'kernelSize', ctx, true),
      strides: dimensionOne(c, 'strides', ctx, false),
      padding: oneOf(c, 'padding', ['valid', 'same', 'causal'] as const, ctx),
      dilationRate: dimensionOne(c, 'dilationRate', ctx, false),
      activation: activation(c, ctx),
      useBias: optionalBoolean(c, 'useBias', ctx),
      kernelInitializer: initializer(c, 'kernelInitializer', ctx),
      biasInitializer: initializer(c, 'biasInitializer', ctx),
    };
  },
  MaxPooling1D: pooling1dArgs,
  AveragePooling1D: pooling1dArgs,
  GlobalAveragePooling1D: globalPoolingArgs,
  GlobalMaxPooling1D: globalPoolingArgs,
  GlobalMaxPooling2D: globalPoolingArgs,
  Embedding: (c, ctx) => {
    mustBeAbsent(c, ['embeddingsRegularizer', 'activityRegularizer', 'embeddingsConstraint'], ctx);
    const inputLength = c.inputLength;
    return {
      inputDim: checkDimension(c.inputDim, where(ctx, 'inputDim'), ctx.limits),
      outputDim: checkDimension(c.outputDim, where(ctx, 'outputDim'), ctx.limits),
      embeddingsInitializer: initializer(c, 'embeddingsInitializer', ctx),
      maskZero: optionalBoolean(c, 'maskZero', ctx),
      inputLength: inputLength === undefined || inputLength === null ? undefined : dimensionOne(c, 'inputLength', ctx, false),
    };
  },
  Multiply: () => ({}),
  Subtract: () => ({}),
  Average: () => ({}),
  Maximum: () => ({}),
  Minimum: () => ({}),
  SpatialDropout2D: (c, ctx) => ({ rate: rate(c, ctx), seed: seedOf(c, ctx), dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx) }),
  GaussianNoise: (c, ctx) => {
    const stddev = finiteNumber(c, 'stddev', ctx);
    if (stddev === undefined || stddev < 0) throw new ModelFormatError(`${where(ctx, 'stddev')} must be a number >= 0, received ${describe(c.stddev)}`);
    return { stddev, seed: seedOf(c, ctx) };
  },
  LayerNormalization: (c, ctx) => {
    mustBeAbsent(c, ['betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint'], ctx);
    const epsilon = finiteNumber(c, 'epsilon', ctx);
    if (epsilon !== undefined && epsilon <= 0) throw new ModelFormatError(`${where(ctx, 'epsilon')} must be positive, received ${epsilon}`);
    return {
      axis: axisOrAxes(c, 'axis', ctx, false),
      epsilon,
      center: optionalBoolean(c, 'center', ctx),
      scale: optionalBoolean(c, 'scale', ctx),
      betaInitializer: initializer(c, 'betaInitializer', ctx),
      gammaInitializer: initializer(c, 'gammaInitializer', ctx),
    };
  },
  Resizing: (c, ctx) => ({
    height: checkDimension(c.height, where(ctx, 'height'), ctx.limits),
    width: checkDimension(c.width, where(ctx, 'width'), ctx.limits),
    interpolation: oneOf(c, 'interpolation', ['bilinear', 'nearest'] as const, ctx),
    cropToAspectRatio: optionalBoolean(c, 'cropToAspectRatio', ctx),
  }),
  CenterCrop: (c, ctx) => ({
    height: checkDimension(c.height, where(ctx, 'height'), ctx.limits),
    width: checkDimension(c.width, where(ctx, 'width'), ctx.limits),
  }),
  Normalization: (c, ctx) => ({
    axis: axisOrAxes(c, 'axis', ctx, true),
    mean: numbers(c, 'mean', ctx),
    variance: numbers(c, 'variance', ctx),
    invert: optionalBoolean(c, 'invert', ctx),
  }),
};

Object.assign(layerArgs, kerasLayerArgs);
