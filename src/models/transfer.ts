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
 */
import { layers } from '../layers/index.js';
import type { Layer } from '../layers/layer.js';
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
 * are the trained ones, not copies), followed by Dense(numClasses, softmax).
 */
export function replaceHead(model: LayersModel, args: ReplaceHeadArgs): Sequential {
  if (!(model instanceof Sequential)) throw new Error(`replaceHead: expected a Sequential model, received ${model instanceof LayersModel ? `a ${model.className} model` : typeof model}; build a new head on a functional model with layer.apply()`);
  const cut = args.cut ?? 1;
  if (!(Number.isInteger(args.numClasses) && args.numClasses >= 2)) throw new Error(`replaceHead: numClasses must be an integer of at least 2, received ${args.numClasses}`);
  if (!(Number.isInteger(cut) && cut >= 1 && cut < model.layers.length)) throw new Error(`replaceHead: cut must be an integer from 1 to ${model.layers.length - 1} (model '${model.name}' has ${model.layers.length} layers), received ${cut}`);
  const base: Layer[] = model.layers.slice(0, model.layers.length - cut);
  const freeze = args.freezeBase ?? true;
  for (const layer of base) layer.trainable = !freeze;
  const head: Layer[] = [];
  const baseOut = model.outputShapes()[base.length - 1];
  if (baseOut.length === 4) head.push(layers.globalAveragePooling2d());
  if (args.dropout) head.push(layers.dropout({ rate: args.dropout }));
  head.push(layers.dense({ units: args.numClasses, activation: 'softmax' }));
  const out = new Sequential({ name: args.name ?? `${model.name}_transfer` });
  for (const layer of [...base, ...head]) out.add(layer);
  // A loaded model's first layer may not carry its input shape: take the model's.
  if (!out.built) out.build(model.inputShape);
  return out;
}
