/**
 * What "extração de características" looks like: one input image and, for each convolution
 * and pooling layer, the maps it produces for that image (each map stretched to its own range,
 * viridis: dark = low, yellow = high).
 */
import { noGrad } from '../autograd/tape.js';
import { Conv2D } from '../layers/conv2d.js';
import { AveragePooling2D, MaxPooling2D } from '../layers/pooling.js';
import type { Sequential } from '../models/sequential.js';
import type { Tensor } from '../tensor/tensor.js';
import { MUTED, colormaps, drawPixels, drawSample, finish, text, whiteCanvas, type Picture } from './canvas.js';

export interface LayerMaps {
  name: string;
  className: string;
  /** [1, h, w, c] */
  output: Tensor;
}

/** Runs one sample through the model, keeping the output of each conv and pooling layer. */
export function featureMaps(model: Sequential, x: Tensor): LayerMaps[] {
  if (x.rank !== 4 || x.shape[0] !== 1) throw new Error(`featureMaps: expected one sample of shape [1, h, w, c], received [${x.shape.join(', ')}]`);
  model.checkInput(x);
  const maps: LayerMaps[] = [];
  noGrad(() => {
    let y = x;
    for (const layer of model.layers) {
      y = layer.apply(y, false);
      const spatial = y.rank === 4 && (y.shape[1] > 1 || y.shape[2] > 1);
      if (spatial && (layer instanceof Conv2D || layer instanceof MaxPooling2D || layer instanceof AveragePooling2D)) {
        maps.push({ name: layer.name, className: layer.className, output: y });
      }
    }
  });
  return maps;
}

export function plotFeatureMaps(model: Sequential, x: Tensor, options: { maxMaps?: number; title?: string; caption?: string } = {}): Picture {
  const layersOut = featureMaps(model, x);
  if (layersOut.length === 0) throw new Error(`Model '${model.name}' has no convolution or pooling layer with spatial output, so it has no feature maps to show`);
  const maxMaps = options.maxMaps ?? 16;
  const tile = 84;
  const cols = 8;
  const sectionH = (n: number) => 34 + Math.ceil(n / cols) * (tile + 8);
  const width = 40 + cols * (tile + 8);
  const inputH = 200;
  const height = 70 + inputH + layersOut.reduce((s, l) => s + sectionH(Math.min(l.output.shape[3], maxMaps)) + 10, 0) + 10;
  const { canvas, ctx } = whiteCanvas(width, height);
  text(ctx, options.title ?? `Feature maps of ${model.name} for one image`, width / 2, 34, { size: 22, bold: true, align: 'center', maxWidth: width - 20 });
  text(ctx, 'each map scaled to its own range: dark = low activation, yellow = high', width / 2, 58, { size: 14, align: 'center', color: MUTED });

  const [, h, w, c] = x.shape;
  drawSample(ctx, x.data, x.shape, 0, width / 2 - 80, 76, 150);
  text(ctx, options.caption ?? `input ${h}x${w}x${c}`, width / 2, 76 + 150 + 24, { size: 15, align: 'center' });

  let y0 = 70 + inputH;
  for (const l of layersOut) {
    const [, oh, ow, oc] = l.output.shape;
    const shown = Math.min(oc, maxMaps);
    text(ctx, `${l.name} (${l.className}): ${oh}x${ow}x${oc}${shown < oc ? `, first ${shown} maps` : ''}`, 20, y0 + 22, { size: 16, bold: true });
    const d = l.output.data;
    for (let m = 0; m < shown; m++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let i = m; i < d.length; i += oc) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
      const range = hi - lo;
      const dx = 20 + (m % cols) * (tile + 8);
      const dy = y0 + 34 + Math.floor(m / cols) * (tile + 8);
      drawPixels(ctx, oh, ow, (yy, xx) => colormaps.viridis(range > 0 ? (d[(yy * ow + xx) * oc + m] - lo) / range : 0), dx, dy, tile, tile);
    }
    y0 += sectionH(shown) + 10;
  }
  return finish(canvas);
}
