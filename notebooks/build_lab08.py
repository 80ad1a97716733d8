#!/usr/bin/env python3
"""Writes notebooks/lab08-cnn.ipynb (without outputs) from the cells below.

The notebook is the source users open; this script only keeps it tidy (one place to edit, ids,
no stale outputs). Run: python3 notebooks/build_lab08.py
"""
import json
import os

CELLS = []


def md(text):
    CELLS.append(("markdown", text.strip("\n")))


def code(text):
    CELLS.append(("code", text.strip("\n")))


md("""
# Lab08 - Redes Neurais - CNN, in TypeScript

The Keras lab *Redes Neurais Convolucionais* cell by cell, with [convlab](../README.md): the same
models, the same numbers, and the plots under the cells. Each section of the original lab is here
in order: MLP vs CNN parameters, convolution and pooling shapes, the Fashion-MNIST CNN, Desafio 3
(LeNet-5), Desafio Extra (CIFAR-10), and one step further: **which pixels decide the answer**
(Grad-CAM and saliency).

Kernel: **TypeScript (tslab)**. Install it once with `npm ci --prefix notebooks` and
`notebooks/node_modules/.bin/tslab install --python=/usr/bin/python3`, then `jupyter notebook notebooks/lab08-cnn.ipynb`
(the README gives every step). The library is imported from `../dist/` (`npm run build`); in a
project of your own, after `npm install convlab`, write `from 'convlab'` instead.

Set `CONVLAB_NOTEBOOK_QUICK=1` before starting Jupyter for a quick run (a few thousand images,
fewer epochs): the code is the same, the accuracies are lower.
""")

code("""
import * as tslab from 'tslab';
import * as os from 'node:os';
import * as path from 'node:path';
import { sequential, layers, datasets, setSeed, explain, loadLayersModel, Tensor, type LayersModel, type Sequential } from '../dist/src/index.js';
import { plotHistory, plotPredictionGrid, plotExplanation, plotFeatureMaps, type Picture } from '../dist/src/plots/index.js';

const QUICK = process.env.CONVLAB_NOTEBOOK_QUICK === '1';
setSeed(42);
/** Shows a picture from convlab's plots under the cell. */
const show = (picture: Picture) => tslab.display.png(picture.png);
/** Keras's progress bar, redrawn in place as in Colab. */
const progressSink = { write: (s: string) => void process.stdout.write(s), isTTY: true };
const fmt = (n: number) => n.toLocaleString('en-US');
console.log(QUICK ? 'Quick run (CONVLAB_NOTEBOOK_QUICK=1): fewer images and epochs.' : 'Full run: the lab\\'s settings.');
""")

md("""
## Diferença de MLP para CNN

Em uma rede MLP cada pixel é tratado de forma isolada. Uma imagem 800x600 em escala de cinza com
100 neurônios na primeira camada: 800·600·100 + 100 parâmetros, só na primeira camada.
""")

code("""
const mlp = sequential({ layers: [layers.flatten({ inputShape: [800, 600] }), layers.dense({ units: 100 })] });
mlp.summary();
""")

md("""
## Convolução

`layers.conv2d({ filters: 100, kernelSize: [3, 3] })`: 100 filtros (kernels) de 3x3, cada um com
3x3x3 pesos + 1 bias, compartilhados por todos os pixels.
""")

code("""
const conv = sequential({ layers: [layers.conv2d({ filters: 100, kernelSize: [3, 3], activation: 'relu', inputShape: [800, 600, 3] })] });
conv.summary();
""")

md("""
### Desafio 1

Compare a quantidade de *Total params*: em uma rede CNN esse valor é menor ou maior comparado com uma rede MLP?
""")

code("""
console.log(`MLP: ${fmt(mlp.countParams())} params; CNN: ${fmt(conv.countParams())} params.`);
console.log(`The convolution needs ${fmt(Math.round(mlp.countParams() / conv.countParams()))} times fewer: each 3x3x3 kernel is shared by every pixel.`);
""")

md("""
## Pooling

`layers.maxPooling2d({ poolSize: 2, strides: 2 })`: a janela 2x2 com passo 2 reduz a imagem à
metade, mantendo o maior valor.
""")

code("""
const pooled = sequential({
  layers: [
    layers.conv2d({ filters: 100, kernelSize: [3, 3], activation: 'relu', inputShape: [800, 600, 3] }), // camada de convolução
    layers.maxPooling2d({ poolSize: 2, strides: 2 }), // camada de pooling
  ],
});
pooled.summary();
""")

md("""
### Desafio 2

Qual o dimensional da imagem antes e depois do pooling? Com a camada de pooling teve alteração de *total params*?
""")

code("""
const [beforePool, afterPool] = pooled.outputShapes();
console.log(`1. Before pooling ${JSON.stringify(beforePool)}, after ${JSON.stringify(afterPool)}: height and width halved.`);
console.log(`2. Total params stay ${fmt(pooled.countParams())}: pooling has no weights.`);
""")

md("""
## Exemplo prático - Fashion MNIST

Uma CNN extrai as características (convolução + pooling) e uma MLP classifica. `loadData()` finds
the files in `$CONVLAB_DATA`, the cache, Debian's `dataset-fashion-mnist` package, or downloads them.
""")

code("""
const fashion = await datasets.fashionMnist.loadData();
const classNames = fashion.classNames;
// The quick run trains on the first 3,000 images; the test set is always the full 10,000.
const trainSplit = QUICK ? datasets.subset(fashion.train, 3000) : fashion.train;
// Normaliza os dados para o pixel ficar com valores entre 0 e 1: images / 255, shape (n, 28, 28, 1).
const trainImages = datasets.toFloat(trainSplit.images);
const trainLabels = trainSplit.labels;
const testImages = datasets.toFloat(fashion.test.images);
const testLabels = fashion.test.labels;
console.log(fashion.source);
console.log(trainImages.shape, testImages.shape);
""")

code("""
// Monta a arquitetura da rede neural
const model = sequential({
  layers: [
    // CNN: extração de características
    layers.conv2d({ filters: 5, kernelSize: [3, 3], activation: 'relu', padding: 'same', inputShape: [28, 28, 1] }),
    layers.maxPooling2d({ poolSize: [2, 2] }),
    // MLP: classificação
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }), // neurônios especialistas
  ],
});
model.summary();
""")

code("""
model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const epochsHist = await model.fit(trainImages, trainLabels, { epochs: QUICK ? 2 : 3, validationSplit: 0.2, progressSink: progressSink });
""")

md("""
Os gráficos da função loss e da acurácia (as `history_df.plot()` do lab):
""")

code("""
show(plotHistory(epochsHist.history, { keys: ['loss', 'val_loss'], title: 'loss', yLabel: 'loss', width: 640, height: 400 }));
show(plotHistory(epochsHist.history, { keys: ['accuracy', 'val_accuracy'], title: 'accuracy', yLabel: 'accuracy', width: 640, height: 400 }));
""")

code("""
// Validação
const [trainLoss, trainAcc] = model.evaluate(trainImages, trainLabels, { verbose: 2, progressSink: progressSink });
const [testLoss, testAcc] = model.evaluate(testImages, testLabels, { verbose: 2, progressSink: progressSink });
""")

code("""
// Previsões com o modelo treinado
const predictions = model.predict(testImages, { verbose: 1 });
const argmax = (row: ArrayLike<number>) => { let b = 0; for (let j = 1; j < row.length; j++) if (row[j] > row[b]) b = j; return b; };
// Verificação dos itens preditos
const item = 4000;
const row = predictions.data.subarray(item * 10, item * 10 + 10);
const predictedItem = argmax(row);
const trueItem = testLabels.data[item];
console.log(`\\nClasse predita foi ${predictedItem} com ${Math.round(100 * row[predictedItem])}%. Classe correta é ${trueItem}, ${classNames[trueItem]}.`);
""")

md("""
O `plot_image` do lab: a imagem, a classe predita e a confiança, **azul** quando acerta e
**vermelho** quando erra, ao lado das probabilidades de cada classe. Primeiro o item 4000, depois
as 15 primeiras imagens de teste.
""")

code("""
show(plotPredictionGrid({ images: fashion.test.images, probabilities: predictions.data, labels: testLabels.data, classNames: classNames, indices: [item], rows: 1, cols: 1, title: `Test item ${item}` }));
show(plotPredictionGrid({ images: fashion.test.images, probabilities: predictions.data, labels: testLabels.data, classNames: classNames, rows: 5, cols: 3 }));
""")

md("""
## Desafio 3 - LeNet-5

LeCun et al. (1998): CONV, POOL e FC. Adaptada a 28x28 com ReLU e max pooling:
C1 6@5x5 'same' → S2 pool 2 → C3 16@5x5 → S4 pool 2 → C5 120 → F6 84 → 10.
""")

code("""
const lenet = sequential({
  name: 'lenet5',
  layers: [
    layers.conv2d({ filters: 6, kernelSize: 5, padding: 'same', activation: 'relu', inputShape: [28, 28, 1], name: 'c1' }),
    layers.maxPooling2d({ poolSize: 2, name: 's2' }),
    layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu', name: 'c3' }),
    layers.maxPooling2d({ poolSize: 2, name: 's4' }),
    layers.flatten(),
    layers.dense({ units: 120, activation: 'relu', name: 'c5' }),
    layers.dense({ units: 84, activation: 'relu', name: 'f6' }),
    layers.dense({ units: 10, activation: 'softmax', name: 'output' }),
  ],
});
lenet.summary();
lenet.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const lenetHist = await lenet.fit(trainImages, trainLabels, { epochs: QUICK ? 2 : 10, batchSize: 32, validationSplit: 0.1, progressSink: progressSink });
const [lenetLoss, lenetAcc] = lenet.evaluate(testImages, testLabels, { verbose: 0 });
console.log(`LeNet-5 test accuracy ${lenetAcc.toFixed(4)} (loss ${lenetLoss.toFixed(4)}); the lab's CNN: ${testAcc.toFixed(4)}`);
show(plotHistory(lenetHist.history, { keys: ['accuracy', 'val_accuracy'], title: 'LeNet-5: accuracy', yLabel: 'accuracy', width: 640, height: 400 }));
""")

md("""
What LeNet-5's first two convolutions see in test item 4000 (each map scaled to its own range):
""")

code("""
const one = (images: Tensor, i: number) => {
  const size = images.shape.slice(1).reduce((a, b) => a * b, 1);
  return new Tensor(images.data.slice(i * size, (i + 1) * size), [1, ...images.shape.slice(1)]);
};
show(plotFeatureMaps(lenet, one(testImages, item), { maxMaps: 8, caption: `test item ${item}: ${classNames[trueItem]}` }));
""")

md("""
## Desafio Extra - CIFAR-10

Uma CNN para o CIFAR-10 (32x32 RGB, 10 classes): two blocks of two convolutions and a max pool,
then a dense classifier with dropout.
""")

code("""
const cifar = await datasets.cifar10.loadData({ allowPartialTest: true });
console.log(cifar.source, ...cifar.notes);
const cifarTrain = QUICK ? datasets.subset(cifar.train, 1000) : cifar.train;
const cifarX = datasets.toFloat(cifarTrain.images);
const cifarTestX = datasets.toFloat(cifar.test.images);
const cifarModel = sequential({
  name: 'cifar_cnn',
  layers: [
    layers.conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [32, 32, 3] }),
    layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'cifar_last_conv' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 256, activation: 'relu' }),
    layers.dropout({ rate: 0.5 }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
cifarModel.summary();
cifarModel.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
const cifarHist = await cifarModel.fit(cifarX, cifarTrain.labels, { epochs: QUICK ? 1 : 10, batchSize: 64, validationSplit: 0.1, progressSink: progressSink });
const [cifarLoss, cifarAcc] = cifarModel.evaluate(cifarTestX, cifar.test.labels, { verbose: 0 });
console.log(`CIFAR-10 test accuracy ${cifarAcc.toFixed(4)} on ${fmt(cifar.test.count)} test images (loss ${cifarLoss.toFixed(4)})`);
const cifarPredictions = cifarModel.predict(cifarTestX);
show(plotPredictionGrid({ images: cifar.test.images, probabilities: cifarPredictions.data, labels: cifar.test.labels.data, classNames: cifar.classNames, rows: 3, cols: 3, title: 'CIFAR-10: first 9 test images' }));
""")

md("""
## O que a CNN olha? Grad-CAM e saliência

**Grad-CAM** (Selvaraju et al. 2017) weighs each feature map of a convolution by the mean gradient
of the class score with respect to it: red where the features that speak for the class are.
**Saliency** (Simonyan et al. 2014) is the gradient with respect to the pixels; SmoothGrad averages
it over noisy copies. Both use convlab's autograd.

To show that this works for models read from files, LeNet-5 is saved and loaded back first.
""")

code("""
const savedDir = path.join(os.tmpdir(), `lab08-lenet5-${process.pid}`);
await lenet.save(savedDir);
const loaded = await loadLayersModel<LayersModel>(path.join(savedDir, 'model.json'));
console.log(`Loaded ${loaded.name} from ${savedDir}; Grad-CAM explains layer '${explain.lastConvLayer(loaded).name}' by default.`);

const probsOf = (m: LayersModel, x: Tensor) => Array.from(m.predict(x).data);
for (const i of [item, 0]) {
  const x = one(testImages, i);
  const p = probsOf(loaded, x);
  const top = p.map((probability, classIndex) => ({ className: classNames[classIndex], classIndex, probability })).sort((a, b) => b.probability - a.probability);
  const heat = explain.gradCam(loaded, x);
  const raw = one(fashion.test.images, i);
  show(plotExplanation({ image: raw, heatmap: heat, top: top, explained: top[0], method: `Grad-CAM, layer ${explain.lastConvLayer(loaded).name}`, title: `test item ${i} (${classNames[testLabels.data[i]]})` }));
  const smooth = explain.saliency(loaded, x, { method: 'smoothgrad', samples: 16, seed: 0 });
  show(plotExplanation({ image: raw, heatmap: smooth, top: top, explained: top[0], method: 'SmoothGrad saliency', title: `test item ${i} (${classNames[testLabels.data[i]]})` }));
}
""")

md("""
Try: `explain.gradCam(loaded, x, { layer: 'c1', classIndex: 6 })` for the evidence for *Shirt*
in the first convolution, or the CIFAR-10 model with `{ layer: 'cifar_last_conv' }`. From a
terminal: `npx convlab explain RUN image.png` writes the same picture.
""")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    cells = []
    for i, (kind, text) in enumerate(CELLS):
        lines = text.split("\n")
        source = [line + "\n" for line in lines[:-1]] + [lines[-1]]
        cell = {"cell_type": kind, "id": f"cell-{i:02d}", "metadata": {}, "source": source}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
        cells.append(cell)
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "TypeScript", "language": "typescript", "name": "tslab"},
            "language_info": {"name": "typescript", "file_extension": ".ts", "mimetype": "text/typescript"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    out = os.path.join(here, "lab08-cnn.ipynb")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(notebook, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, out)
    print(f"wrote {out} ({len(cells)} cells)")


if __name__ == "__main__":
    main()
