/**
 * Desafio 1: an MLP on an image needs far more parameters than a convolution.
 * Run: npx tsx examples/01_mlp_vs_cnn_params.ts
 */
import { sequential, layers } from 'convlab';

const mlp = sequential({ layers: [layers.flatten({ inputShape: [800, 600] }), layers.dense({ units: 100 })] });
mlp.summary();

const cnn = sequential({ layers: [layers.conv2d({ filters: 100, kernelSize: [3, 3], activation: 'relu', inputShape: [800, 600, 3] })] });
cnn.summary();

const ratio = mlp.countParams() / cnn.countParams();
console.log(`\nMLP: ${mlp.countParams().toLocaleString('en-US')} params; CNN: ${cnn.countParams().toLocaleString('en-US')} params.`);
console.log(`The CNN layer needs ${Math.round(ratio).toLocaleString('en-US')} times fewer parameters: each 3x3x3 kernel is shared by every pixel.`);
