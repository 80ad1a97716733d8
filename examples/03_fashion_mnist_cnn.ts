/**
 * The lab's Fashion-MNIST CNN: train 3 epochs with a validation split, plot loss and accuracy,
 * evaluate, predict item 4000 and show it with its predicted label (PNGs in runs/lab-example/).
 * Run: npx tsx examples/03_fashion_mnist_cnn.ts [fashion-mnist directory]
 */
import { sequential, layers, datasets, setSeed } from 'convlab';
import { plotHistory, plotPredictionGrid, writePicture } from 'convlab/plots';
import { argmax, loadFashionMnist } from './common.js';

setSeed(Number(process.env.SEED ?? 42));
const { train, test, classNames } = await loadFashionMnist();
// As the lab: pixels divided by 255, images reshaped to (n, 28, 28, 1).
const trainImages = datasets.toFloat(train.images);
const testImages = datasets.toFloat(test.images);
console.log(JSON.stringify(trainImages.shape), JSON.stringify(testImages.shape));

const model = sequential({
  layers: [
    // CNN: feature extraction
    layers.conv2d({ filters: 5, kernelSize: [3, 3], activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
    layers.maxPooling2d({ poolSize: [2, 2] }),
    // MLP: classification
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
model.summary();
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const history = await model.fit(trainImages, train.labels, { epochs: Number(process.env.EPOCHS ?? 3), validationSplit: 0.2 });

console.log('\nepoch  loss    accuracy  val_loss  val_accuracy');
history.history.loss.forEach((_, e) => {
  const h = history.history;
  console.log(`${String(e + 1).padStart(5)}  ${h.loss[e].toFixed(4)}  ${h.accuracy[e].toFixed(4)}    ${h.val_loss[e].toFixed(4)}    ${h.val_accuracy[e].toFixed(4)}`);
});

// The lab's two plots: loss and val_loss, accuracy and val_accuracy per epoch.
const out = 'runs/lab-example';
console.log(await writePicture(`${out}/loss.png`, plotHistory(history.history, { keys: ['loss', 'val_loss'], title: 'Loss', yLabel: 'loss' })));
console.log(await writePicture(`${out}/accuracy.png`, plotHistory(history.history, { keys: ['accuracy', 'val_accuracy'], title: 'Accuracy', yLabel: 'accuracy' })));

const [trainLoss, trainAcc] = model.evaluate(trainImages, train.labels, { verbose: 2 });
const [testLoss, testAcc] = model.evaluate(testImages, test.labels, { verbose: 2 });
console.log(`train: loss ${trainLoss.toFixed(4)}, accuracy ${trainAcc.toFixed(4)}; test: loss ${testLoss.toFixed(4)}, accuracy ${testAcc.toFixed(4)}`);

const predictions = model.predict(testImages);
const item = 4000;
const row = predictions.data.subarray(item * 10, item * 10 + 10);
const predicted = argmax(row);
const trueLabel = test.labels.data[item];
console.log(`\nClasse predita foi ${predicted} com ${Math.round(100 * row[predicted])}%. Classe correta é ${trueLabel}, ${classNames[trueLabel]}.`);
// The lab's plot_image: the image, its predicted class and confidence, blue if right, red if wrong.
const picture = plotPredictionGrid({ images: test.images, probabilities: predictions.data, labels: test.labels.data, classNames, indices: [item], rows: 1, cols: 1, title: `Test item ${item}` });
console.log(await writePicture(`${out}/item-${item}.png`, picture));
