import { VarianceScaling, getInitializer, type Initializer } from '../layers/initializers.js';
import { zeros, type Tensor } from '../tensor/tensor.js';
import { type LoadLimits, ModelFormatError, checkDimension, describe, isPlainObject } from './limits.js';

/**
 * Turns one layer's config from model.json (already camelCased) into constructor arguments,
 * checking every field the layer uses, so that a wrong type or value is reported with the layer
 * and field it is in rather than surfacing later as a NaN or a crash.
 */

/** Counts the values the initialisers of a model being loaded may allocate (the manifest's total). */
export class AllocationBudget {
  private used = 0;
  /** fresh: initialise weights as the config says (modelFromJSON) instead of zeros to be overwritten. */
  constructor(readonly limit: number, readonly what: string, readonly fresh = false) {}
  take(shape: readonly number[], weight: string): void {
    const size = shape.reduce((p, d) => p * d, 1);
    this.used += size;
    if (this.used > this.limit) {
      throw new ModelFormatError(`${this.what}: the topology needs more weight values than the weight files hold (${this.limit} values in the manifest; layer weight '${weight}' has shape ${JSON.stringify(shape)})`);
    }
  }
}

/**
 * Stands in for the initialisers of a loaded layer: the loaded values overwrite the weights at
 * once, so it allocates zeros (within the budget) and draws nothing from the random generator,
 * and it serialises back to exactly what the file said.
 */
export class LoadedInitializer implements Initializer {
  constructor(readonly className: string, private readonly config: Record<string, unknown>, private readonly budget: AllocationBudget, private readonly label: string) {}
  init(shape: readonly number[], dtype: 'float32' | 'float64' = 'float32'): Tensor {
    this.budget.take(shape, this.label);
    if (this.budget.fresh) {
      const c = this.config;
      if (this.className === 'VarianceScaling') {
        // Keras <= 2.1 wrote he_normal and friends as VarianceScaling; 'normal' meant truncated.
        const mode = c.mode === 'fanOut' || c.mode === 'fanAvg' ? c.mode : 'fanIn';
        const distribution = c.distribution === 'uniform' || c.distribution === 'untruncatedNormal' ? c.distribution : 'truncatedNormal';
        return new VarianceScaling(typeof c.scale === 'number' && c.scale > 0 ? c.scale : 1, mode, distribution).init(shape, dtype);
      }
      try {
        return getInitializer(this.className, 'zeros').init(shape, dtype);
      } catch {
        // An initialiser convlab lacks (Orthogonal, Identity): zeros.
      }
    }
    return zeros(shape, dtype);
  }
  getConfig(): Record<string, unknown> {
    return { ...this.config };
  }
}

export interface ConfigContext {
  layer: string;
  className: string;
  limits: LoadLimits;
  budget: AllocationBudget;
}

export function where(ctx: ConfigContext, field: string): string {
  return `layer '${ctx.layer}' (${ctx.className}): ${field}`;
}

export function optionalBoolean(config: Record<string, unknown>, field: string, ctx: ConfigContext): boolean | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new ModelFormatError(`${where(ctx, field)} must be true or false, received ${describe(v)}`);
  return v;
}

export function finiteNumber(config: Record<string, unknown>, field: string, ctx: ConfigContext, fallback?: number): number | undefined {
  const v = config[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ModelFormatError(`${where(ctx, field)} must be a finite number, received ${describe(v)}`);
  return v;
}

export function dimensionPair(config: Record<string, unknown>, field: string, ctx: ConfigContext, required: boolean): number | [number, number] | undefined {
  const v = config[field];
  if (v === undefined || v === null) {
    if (required) throw new ModelFormatError(`${where(ctx, field)} is missing; expected a positive integer or a pair of them`);
    return undefined;
  }
  if (typeof v === 'number') return checkDimension(v, where(ctx, field), ctx.limits);
  if (Array.isArray(v) && (v.length === 1 || v.length === 2)) {
    const pair = v.map((d, i) => checkDimension(d, `${where(ctx, field)}[${i}]`, ctx.limits));
    return [pair[0], pair[pair.length - 1]];
  }
  throw new ModelFormatError(`${where(ctx, field)} must be a positive integer or a pair of them, received ${describe(v)}`);
}

export function oneOf<T extends string>(config: Record<string, unknown>, field: string, allowed: readonly T[], ctx: ConfigContext): T | undefined {
  const v = config[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v as T)) {
    throw new ModelFormatError(`${where(ctx, field)} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, received ${describe(v)}`);
  }
  return v as T;
}

export function activation(config: Record<string, unknown>, ctx: ConfigContext, required = false): string | null | undefined {
  const v = config.activation;
  if (v === undefined || v === null) {
    if (required) throw new ModelFormatError(`${where(ctx, 'activation')} is missing`);
    return v as null | undefined;
  }
  if (typeof v !== 'string') throw new ModelFormatError(`${where(ctx, 'activation')} must be a name such as 'relu', received ${describe(v)}`);
  return v;
}

/** Options convlab does not implement are accepted only when absent or null. */
export function mustBeAbsent(config: Record<string, unknown>, fields: string[], ctx: ConfigContext): void {
  for (const field of fields) {
    const v = config[field];
    if (v !== undefined && v !== null) {
      throw new ModelFormatError(`${where(ctx, field)} is ${JSON.stringify(v).slice(0, 80)}, but convlab does not support ${field}; only null is accepted`);
    }
  }
}

export function initializer(config: Record<string, unknown>, field: string, ctx: ConfigContext): LoadedInitializer | undefined {
  const v = config[field];
  if (v === undefined || v === null) return new LoadedInitializer('Zeros', {}, ctx.budget, `${ctx.layer}/${field}`);
  if (typeof v === 'string') return new LoadedInitializer(v.charAt(0).toUpperCase() + v.slice(1), {}, ctx.budget, `${ctx.layer}/${field}`);
  if (!isPlainObject(v) || typeof v.className !== 'string' || (v.config !== undefined && v.config !== null && !isPlainObject(v.config))) {
    throw new ModelFormatError(`${where(ctx, field)} must be {class_name, config}, received ${describe(v)}`);
  }
  return new LoadedInitializer(v.className, (v.config as Record<string, unknown>) ?? {}, ctx.budget, `${ctx.layer}/${field}`);
}

export const PADDINGS = ['valid', 'same'] as const;
export const CHANNELS_LAST = ['channelsLast'] as const;
export const REGULARIZED = ['kernelRegularizer', 'biasRegularizer', 'activityRegularizer', 'kernelConstraint', 'biasConstraint'];

type ArgsBuilder = (config: Record<string, unknown>, ctx: ConfigContext) => Record<string, unknown>;

export const layerArgs: Record<string, ArgsBuilder> = {
  Conv2D: (c, ctx) => {
    mustBeAbsent(c, REGULARIZED, ctx);
    if (c.groups !== undefined && c.groups !== null && c.groups !== 1) throw new ModelFormatError(`${where(ctx, 'groups')} must be 1, received ${describe(c.groups)}`);
    return {
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
  Dense: (c, ctx) => {
    mustBeAbsent(c, REGULARIZED, ctx);
    return {
      units: checkDimension(c.units, where(ctx, 'units'), ctx.limits),
      activation: activation(c, ctx),
      useBias: optionalBoolean(c, 'useBias', ctx),
      kernelInitializer: initializer(c, 'kernelInitializer', ctx),
      biasInitializer: initializer(c, 'biasInitializer', ctx),
    };
  },
  MaxPooling2D: (c, ctx) => poolingArgs(c, ctx),
  AveragePooling2D: (c, ctx) => poolingArgs(c, ctx),
  GlobalAveragePooling2D: (c, ctx) => {
    if (c.keepdims === true) throw new ModelFormatError(`${where(ctx, 'keepdims')} true is not supported; only false`);
    return { dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx) };
  },
  Flatten: (c, ctx) => ({ dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx) }),
  Dropout: (c, ctx) => {
    mustBeAbsent(c, ['noiseShape'], ctx);
    const rate = finiteNumber(c, 'rate', ctx);
    if (rate === undefined || rate < 0 || rate >= 1) throw new ModelFormatError(`${where(ctx, 'rate')} must be a number in [0, 1), received ${describe(c.rate)}`);
    return { rate, seed: seedOf(c, ctx) };
  },
  Activation: (c, ctx) => ({ activation: activation(c, ctx, true) }),
  BatchNormalization: (c, ctx) => {
    mustBeAbsent(c, ['betaRegularizer', 'gammaRegularizer', 'betaConstraint', 'gammaConstraint'], ctx);
    let axis: unknown = c.axis;
    if (Array.isArray(axis) && axis.length === 1) axis = axis[0];
    if (axis !== undefined && axis !== null && !(typeof axis === 'number' && Number.isInteger(axis) && Math.abs(axis) <= 8)) {
      throw new ModelFormatError(`${where(ctx, 'axis')} must be an integer axis such as -1, received ${describe(c.axis)}`);
    }
    const momentum = finiteNumber(c, 'momentum', ctx);
    const epsilon = finiteNumber(c, 'epsilon', ctx);
    if (epsilon !== undefined && epsilon <= 0) throw new ModelFormatError(`${where(ctx, 'epsilon')} must be positive, received ${epsilon}`);
    return {
      axis: axis ?? undefined,
      momentum,
      epsilon,
      center: optionalBoolean(c, 'center', ctx),
      scale: optionalBoolean(c, 'scale', ctx),
      betaInitializer: initializer(c, 'betaInitializer', ctx),
      gammaInitializer: initializer(c, 'gammaInitializer', ctx),
      movingMeanInitializer: initializer(c, 'movingMeanInitializer', ctx),
      movingVarianceInitializer: initializer(c, 'movingVarianceInitializer', ctx),
    };
  },
  Rescaling: (c, ctx) => {
    const scale = finiteNumber(c, 'scale', ctx);
    if (scale === undefined) throw new ModelFormatError(`${where(ctx, 'scale')} is missing; expected a finite number`);
    return { scale, offset: finiteNumber(c, 'offset', ctx, 0) };
  },
};

export function seedOf(c: Record<string, unknown>, ctx: ConfigContext): number | undefined {
  const seed = finiteNumber(c, 'seed', ctx);
  if (seed !== undefined && !Number.isInteger(seed)) throw new ModelFormatError(`${where(ctx, 'seed')} must be an integer or null, received ${describe(seed)}`);
  return seed;
}

// Augmentation layers (Keras preprocessing layers; the identity at inference time).
layerArgs.RandomFlip = (c, ctx) => {
  // TF.js-style loading camel-cases string values; Keras spells this mode with underscores.
  const mode = c.mode === 'horizontalAndVertical' ? 'horizontal_and_vertical' : c.mode;
  return { mode: oneOf({ mode }, 'mode', ['horizontal', 'vertical', 'horizontal_and_vertical'] as const, ctx), seed: seedOf(c, ctx) };
};
layerArgs.RandomTranslation = (c, ctx) => {
  const factor = (field: string): number => {
    const v = finiteNumber(c, field, ctx);
    if (v === undefined || v < 0 || v > 1) throw new ModelFormatError(`${where(ctx, field)} must be a number in [0, 1], received ${describe(c[field])}`);
    return v;
  };
  if (c.interpolation !== undefined && c.interpolation !== null && c.interpolation !== 'nearest') {
    throw new ModelFormatError(`${where(ctx, 'interpolation')} must be 'nearest', received ${describe(c.interpolation)}`);
  }
  return {
    heightFactor: factor('heightFactor'),
    widthFactor: factor('widthFactor'),
    fillMode: oneOf(c, 'fillMode', ['constant', 'reflect', 'nearest'] as const, ctx),
    seed: seedOf(c, ctx),
  };
};

layerArgs.RandomErasing = (c, ctx) => {
  const pair = (field: string, fallback: [number, number]): [number, number] => {
    const v = c[field];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'number' && v >= 0 && v <= 1) return [0, v];
    if (Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === 'number' && e >= 0 && e <= 1)) return [v[0], v[1]];
    throw new ModelFormatError(`${where(ctx, field)} must be a number or a pair of numbers in [0, 1], received ${describe(v)}`);
  };
  const range = c.valueRange ?? [0, 255];
  if (!Array.isArray(range) || range.length !== 2 || !range.every((e) => typeof e === 'number' && Number.isFinite(e)) || range[0] > range[1]) {
    throw new ModelFormatError(`${where(ctx, 'valueRange')} must be [low, high], received ${describe(c.valueRange)}`);
  }
  return {
    factor: pair('factor', [0, 1]),
    scale: pair('scale', [0.02, 0.33]),
    fillValue: finiteNumber(c, 'fillValue', ctx) ?? null,
    valueRange: [range[0], range[1]],
    seed: seedOf(c, ctx),
  };
};

// Merge layers of functional models. Concatenate joins along the last axis only.
layerArgs.Add = () => ({});
layerArgs.Concatenate = (c, ctx) => {
  if (c.axis !== undefined && c.axis !== null && c.axis !== -1) throw new ModelFormatError(`${where(ctx, 'axis')} must be -1 (the channel axis), received ${describe(c.axis)}`);
  return {};
};

function poolingArgs(c: Record<string, unknown>, ctx: ConfigContext): Record<string, unknown> {
  return {
    poolSize: dimensionPair(c, 'poolSize', ctx, false),
    strides: dimensionPair(c, 'strides', ctx, false),
    padding: oneOf(c, 'padding', PADDINGS, ctx),
    dataFormat: oneOf(c, 'dataFormat', CHANNELS_LAST, ctx),
  };
}
