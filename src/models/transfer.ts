/**
 * Transfer learning as in Keras's guide: keep a trained model's base, put a new classifier head
 * on it for the user's classes, train the head with the base frozen, then unfreeze and fine-tune
 * at a lower learning rate:
 *
 *   const model = replaceHead(trained, { numClasses: 5 });        // base frozen
 *   model.compile({ optimizer: adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 *   await model.fit(train, { epochs: 5, validationData: val });
 *   model.trainable = true;                                      // unfreeze, then
 *   model.compile({ optimizer: adam(1e-5), ... });                // a lower rate, as Keras advises
 *   await model.fit(train, { epochs: 3, validationData: val });
 *
 * The same with the base as one nested model, as the guide writes it:
 *
 *   base.trainable = false;
 *   const inputs = input({ shape: [160, 160, 3] });
 *   const x = layers.globalAveragePooling2d().apply(base.apply(inputs, { training: false }));
 *   const model = tfModel({ inputs, outputs: layers.dense({ units: 5, activation: 'softmax' }).apply(x) });
 */
import { layers } from '../layers/index.js';
import type { Layer, SymbolicShape } from '../layers/layer.js';
import { Functional } from './functional.js';
import { LayersModel } from './layers_model.js';
import { Sequential } from './sequential.js';

export interface ReplaceHeadArgs {
  /** Units of the new softmax layer. */
  numClasses: number;
  /** Layers cut from the end of the model (default 1: its classifier). */
  cut?: number;
  /** Freeze the base (default true); false makes every base layer trainable, even one saved frozen. */
  freezeBase?: boolean;
  /** Dropout rate before the new head (default 0: none). */
  dropout?: number;
  name?: string;
}

/**
 * A new Sequential model: `model`'s layers but the last `cut`, which it shares (the base's weights
 * are the trained ones, not copies), followed by Dense(numClasses, softmax). A functional model's
 * graph up to the cut becomes one nested base model, the first layer of the new model.
 */
export function replaceHead(model: LayersModel, args: ReplaceHeadArgs): Sequential {
  if (model instanceof Functional) return replaceFunctionalHead(model, args);
  if (!(model instanceof Sequential)) throw new Error(`replaceHead: expected a Sequential or functional model, received ${model instanceof LayersModel ? `a ${model.className} model` : typeof model}`);
  const cut = args.cut ?? 1;
  if (!(Number.isInteger(args.numClasses) && args.numClasses >= 2)) throw new Error(`replaceHead: numClasses must be an integer of at least 2, received ${args.numClasses}`);
  if (!(Number.isInteger(cut) && cut >= 1 && cut < model.layers.length)) throw new Error(`replaceHead: cut must be an integer from 1 to ${model.layers.length - 1} (model '${model.name}' has ${model.layers.length} layers), received ${cut}`);
  const base: Layer[] = model.layers.slice(0, model.layers.length - cut);
  const freeze = args.freezeBase ?? true;
  for (const layer of base) layer.trainable = !freeze;
  const head = newHead(model.outputShapes()[base.length - 1], args);
  const out = new Sequential({ name: args.name ?? `${model.name}_transfer` });
  for (const layer of [...base, ...head]) out.add(layer);
  // A loaded model's first layer may not carry its input shape: take the model's.
  if (!out.built) out.build(model.inputShape);
  return out;
}

/** Global pooling for feature maps, optional dropout, then the softmax for the new classes. */
function newHead(baseOutput: SymbolicShape, args: ReplaceHeadArgs): Layer[] {
  const head: Layer[] = [];
  if (baseOutput.length === 4) head.push(layers.globalAveragePooling2d());
  if (args.dropout) head.push(layers.dropout({ rate: args.dropout }));
  head.push(layers.dense({ units: args.numClasses, activation: 'softmax' }));
  return head;
}

/** The graph up to `cut` nodes before the output, as a nested base model, then the new head. */
function replaceFunctionalHead(model: Functional, args: ReplaceHeadArgs): Sequential {
  const cut = args.cut ?? 1;
  const nodes = model.graph();
  if (!(Number.isInteger(args.numClasses) && args.numClasses >= 2)) throw new Error(`replaceHead: numClasses must be an integer of at least 2, received ${args.numClasses}`);
  if (!(Number.isInteger(cut) && cut >= 1 && cut < nodes.length)) throw new Error(`replaceHead: cut must be an integer from 1 to ${nodes.length - 1} (model '${model.name}' has ${nodes.length} layer calls), received ${cut}`);
  const base = new Functional({ inputs: model.input, outputs: nodes[nodes.length - 1 - cut].output, name: `${model.name}_base` });
  base.trainable = !(args.freezeBase ?? true);
  return new Sequential({ name: args.name ?? `${model.name}_transfer`, layers: [base, ...newHead(base.outputShape, args)] });
}
