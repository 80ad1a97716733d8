/**
 * Desafio 3: LeNet-5 (LeCun et al., 1998) adapted to 28x28 Fashion-MNIST, with ReLU and max pooling.
 * C1: 6 filters 5x5 'same' -> S2: 2x2 pool -> C3: 16 filters 5x5 -> S4: 2x2 pool -> C5: 120 -> F6: 84 -> 10.
 * Run: npx tsx examples/04_lenet5.ts [fashion-mnist directory]   (EPOCHS=10 by default)
 */
import { sequential, layers, datasets, setSeed } from 'convlab';
import { loadFashionMnist } from './common.js';

setSeed(Number(process.env.SEED ?? 42));
const { train, test } = await loadFashionMnist();
const model = sequential({
  layers: [
    layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu' }),
    layers.dense({ units: 84, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
model.summary();
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
await model.fit(datasets.toFloat(train.images), train.labels, { epochs: Number(process.env.EPOCHS ?? 10), batchSize: 32, validationSplit: 0.1 });
const [loss, accuracy] = model.evaluate(datasets.toFloat(test.images), test.labels, { verbose: 2 });
console.log(`LeNet-5 test accuracy: ${accuracy.toFixed(4)} (loss ${loss.toFixed(4)})`);
