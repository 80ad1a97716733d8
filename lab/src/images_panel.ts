/**
 * Section 6, "Your images": Teachable Machine's workflow with convlab. Classes and their
 * pictures (images_classes.ts), training in a worker with live charts (images_train.ts), then
 * testing on new pictures or the webcam and downloading the model (images_test.ts).
 */
import { h } from './dom.js';
import { Webcam } from './image_source.js';
import { ClassesPanel } from './images_classes.js';
import { ImagesTester } from './images_test.js';
import { ImagesTrainer } from './images_train.js';
import type { ModelBuilder } from './model_builder.js';

export class ImagesPanel {
  constructor(root: HTMLElement, builder: ModelBuilder) {
    const camera = new Webcam();
    const classes = new ClassesPanel(h('div', { class: 'sub' }), camera);
    const trainer = new ImagesTrainer(h('div', { class: 'sub' }), classes, builder);
    const tester = new ImagesTester(h('div', { class: 'sub' }), camera);
    trainer.onTrained((r) => tester.show(r));
    // A file dropped beside a drop zone would make the browser open it, leaving the page and
    // every picture collected: files dropped anywhere else on the page are ignored instead.
    for (const type of ['dragover', 'drop']) {
      window.addEventListener(type, (e) => {
        if ((e as DragEvent).dataTransfer?.types.includes('Files')) e.preventDefault();
      });
    }
    root.append(
      h('h2', {}, '6 · Your images'),
      h('p', { class: 'lead' }, 'Train a CNN on your own pictures, as in Teachable Machine: name a class per kind of thing, drop images or whole folders into each (or hold the record button in front of the webcam), train, try it on new pictures or live, and download the model for convlab predict. Nothing leaves the page.'),
      h('h3', {}, 'Classes'),
      classes.element,
      h('hr', { class: 'sep' }),
      h('h3', {}, 'Training'),
      trainer.element,
      h('hr', { class: 'sep' }),
      h('h3', {}, 'Try it and download'),
      tester.element,
    );
  }
}
