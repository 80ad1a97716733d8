import { kernels } from '../kernels/registry.js';
import type { AdamState } from '../kernels/backend.js';
import type { LayerVariable } from '../layers/layer.js';
import type { FloatArray } from '../tensor/dtype.js';
import { Optimizer } from './optimizer.js';

export { Optimizer, type OptimizerState } from './optimizer.js';

export interface SGDArgs { learningRate?: number; momentum?: number; nesterov?: boolean; weightDecay?: number }
export interface AdamArgs { learningRate?: number; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number }
export interface RMSpropArgs { learningRate?: number; rho?: number; momentum?: number; epsilon?: number }

/** Keras's SGD: learning rate 0.01, optional (Nesterov) momentum, optional L2-style weight decay. */
export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  constructor(args: SGDArgs = {}) {
    super(args.learningRate ?? 0.01);
    this.momentum = args.momentum ?? 0;
    this.nesterov = args.nesterov ?? false;
    this.weightDecay = args.weightDecay ?? 0;
  }
  protected override slotNames(): string[] {
    return this.momentum > 0 ? ['momentum'] : [];
  }
  protected update(variable: LayerVariable, grad: FloatArray): void {
    const velocity = this.momentum > 0 ? this.slot(variable, 'momentum') : null;
    kernels().sgdUpdate(variable.value.storage as FloatArray, grad, velocity, this.learningRate, this.momentum, this.nesterov, this.weightDecay);
  }
  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay };
  }
}

/** Keras's Adam (learning rate 0.001, betas 0.9/0.999, epsilon 1e-7); AdamW with weightDecay. */
export class Adam extends Optimizer {
  readonly className: string = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly weightDecay: number;
  constructor(args: AdamArgs = {}) {
    super(args.learningRate ?? 0.001);
    this.beta1 = args.beta1 ?? 0.9;
    this.beta2 = args.beta2 ?? 0.999;
    this.epsilon = args.epsilon ?? 1e-7;
    this.weightDecay = args.weightDecay ?? 0;
  }
  protected override slotNames(): string[] {
    return ['m', 'v'];
  }
  private state(): AdamState {
    return { lr: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, step: this.iterations, weightDecay: this.weightDecay };
  }
  protected update(variable: LayerVariable, grad: FloatArray): void {
    kernels().adamUpdate(variable.value.storage as FloatArray, grad, this.slot(variable, 'm'), this.slot(variable, 'v'), this.state());
  }
  protected override updateAll(variables: LayerVariable[], grads: FloatArray[]): void {
    const k = kernels();
    if (!k.adamUpdateMany) return super.updateAll(variables, grads);
    const operands = variables.map((variable, i) => ({ param: variable.value.storage as FloatArray, grad: grads[i], m: this.slot(variable, 'm'), v: this.slot(variable, 'v') }));
    k.adamUpdateMany(operands, this.state());
  }
  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, weightDecay: this.weightDecay };
  }
}

/** Adam with decoupled weight decay (Keras's AdamW default decay 0.004). */
export class AdamW extends Adam {
  override readonly className = 'AdamW';
  constructor(args: AdamArgs = {}) {
    super({ ...args, weightDecay: args.weightDecay ?? 0.004 });
  }
}

/** Keras's RMSprop: learning rate 0.001, rho 0.9, no momentum, epsilon 1e-7. */
export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  constructor(args: RMSpropArgs = {}) {
    super(args.learningRate ?? 0.001);
    this.rho = args.rho ?? 0.9;
    this.momentum = args.momentum ?? 0;
    this.epsilon = args.epsilon ?? 1e-7;
  }
  protected override slotNames(): string[] {
    return this.momentum > 0 ? ['rms', 'momentum'] : ['rms'];
  }
  protected update(variable: LayerVariable, grad: FloatArray): void {
    const velocity = this.momentum > 0 ? this.slot(variable, 'momentum') : null;
    kernels().rmspropUpdate(variable.value.storage as FloatArray, grad, this.slot(variable, 'rms'), velocity, this.learningRate, this.rho, this.momentum, this.epsilon);
  }
  getConfig(): Record<string, unknown> {
    return { learningRate: this.learningRate, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon };
  }
}

/** Option-object factories (`optimizers.adam({ learningRate: 1e-3 })`). */
export const optimizers = {
  sgd: (args?: SGDArgs) => new SGD(args),
  adam: (args?: AdamArgs) => new Adam(args),
  adamw: (args?: AdamArgs) => new AdamW(args),
  rmsprop: (args?: RMSpropArgs) => new RMSprop(args),
};

/** TF.js-style positional factories (`tf.train.adam(0.001)`). */
export const train = {
  sgd: (learningRate: number) => new SGD({ learningRate }),
  momentum: (learningRate: number, momentum: number, useNesterov = false) => new SGD({ learningRate, momentum, nesterov: useNesterov }),
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-7) => new Adam({ learningRate, beta1, beta2, epsilon }),
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon = 1e-7) => new RMSprop({ learningRate, rho: decay, momentum, epsilon }),
};

const byName: Record<string, () => Optimizer> = {
  sgd: () => new SGD(),
  adam: () => new Adam(),
  adamw: () => new AdamW(),
  rmsprop: () => new RMSprop(),
};

export function resolveOptimizer(id: string | Optimizer): Optimizer {
  if (typeof id !== 'string') return id;
  const make = byName[id.toLowerCase()];
  if (!make) throw new Error(`Unknown optimizer '${id}'; expected one of ${Object.keys(byName).join(', ')} or an optimizer object`);
  return make();
}
