/**
 * Desafio 2: image shape before and after pooling, and whether pooling adds parameters.
 * Run: npx tsx examples/02_conv_pooling_shapes.ts
 */
import { sequential, layers } from 'convlab';

const model = sequential({
  layers: [
    layers.conv2d({ filters: 100, kernelSize: [3, 3], activation: 'relu', inputShape: [800, 600, 3] }),
    layers.maxPooling2d({ poolSize: 2, strides: 2 }),
  ],
});
model.summary();
const [conv, pool] = model.outputShapes();
console.log(`\n1. Before pooling: ${JSON.stringify(conv)}; after: ${JSON.stringify(pool)} (height and width halved).`);
console.log(`2. Total params stay ${model.countParams().toLocaleString('en-US')}: pooling has no weights.`);
