/**
 * "Your images", part 1: classes and their pictures, as Teachable Machine collects them. Each
 * class takes dropped files and folders, files or a folder from a picker, and webcam frames
 * recorded while a button is held. Files that are not images, or do not decode, are counted
 * per reason and listed in a tooltip; nothing stops the page.
 */
import { h, labeled, select } from './dom.js';
import { dropEntries, pickedFiles, walkEntries, type FoundFile } from './file_drop.js';
import { decodeImageFile, pixelsCanvas, type Webcam } from './image_source.js';
import type { ImageClass, ImageSettings, SkipReason } from './images_data.js';

const THUMBS = 40;
const REASONS: Record<SkipReason, string> = {
  'empty': 'empty', 'not-an-image': 'not an image', 'unsupported-format': 'unsupported format', 'corrupt': 'undecodable', 'too-large': 'too large',
};

interface ClassView {
  card: HTMLElement;
  count: HTMLElement;
  skipped: HTMLElement;
  thumbs: HTMLElement;
  more: HTMLElement;
  status: HTMLElement;
  record: HTMLButtonElement;
  skippedPaths: string[];
}

export class ClassesPanel {
  readonly classes: ImageClass[] = [];
  readonly settings: ImageSettings = { size: 64, crop: false };
  private nextId = 1;
  private fps = 5;
  private busy = 0;
  private readonly views = new Map<number, ClassView>();
  private listeners: (() => void)[] = [];
  private readonly list = h('div', { class: 'img-classes', id: 'images-classes' });
  private readonly sizeSelect = select(['32', '48', '64', '96', '128'].map((v): [string, string] => [v, `${v}×${v}`]), '64', (v) => { this.settings.size = Number(v); }, { id: 'images-size' });
  private readonly cropBox = h('input', { type: 'checkbox', id: 'images-crop' });
  private readonly sizeNote = h('span', { class: 'note', id: 'images-size-note' });
  private readonly cameraButton = h('button', { id: 'images-camera' }, 'Start camera');
  private readonly cameraNote = h('span', { class: 'note', id: 'images-camera-note' });

  constructor(readonly element: HTMLElement, private readonly camera: Webcam) {
    this.cropBox.addEventListener('change', () => { this.settings.crop = this.cropBox.checked; });
    this.cameraButton.addEventListener('click', () => void this.toggleCamera());
    camera.onChange((on) => {
      this.cameraButton.textContent = on ? 'Stop camera' : 'Start camera';
      for (const v of this.views.values()) v.record.disabled = !on;
    });
    element.append(
      h('div', { class: 'controls' },
        labeled('Image size (model input)', this.sizeSelect),
        h('label', { class: 'inline' }, this.cropBox, 'Crop to the central square (else stretch)'),
        labeled('Frames per second while recording', select([['2', '2'], ['5', '5'], ['10', '10']], '5', (v) => { this.fps = Number(v); }, { id: 'images-fps' })),
        this.sizeNote,
      ),
      h('div', { class: 'row' },
        h('div', { class: 'img-camera' }, this.camera.video, h('div', { class: 'controls' }, this.cameraButton, this.cameraNote)),
        h('div', { class: 'sub', style: 'flex: 1' }, this.list, h('div', {}, h('button', { id: 'images-add-class', onclick: () => this.addClass() }, '+ Add a class'))),
      ),
    );
    this.addClass();
    this.addClass();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Whether files are still being decoded (training waits for them). */
  get loading(): boolean {
    return this.busy > 0;
  }

  private changed(): void {
    const any = this.classes.some((c) => c.samples.length > 0);
    // Images are kept at the chosen size only: changing it would need the originals.
    this.sizeSelect.disabled = any;
    this.cropBox.disabled = any;
    this.sizeNote.textContent = any ? 'Remove every image to change the size or the crop.' : '';
    for (const l of this.listeners) l();
  }

  private async toggleCamera(): Promise<void> {
    this.cameraNote.textContent = '';
    try {
      if (this.camera.on) this.camera.stop();
      else await this.camera.start();
    } catch (e) {
      this.cameraNote.textContent = `The camera could not start: ${(e as Error).message}`;
    }
  }

  addClass(name?: string): ImageClass {
    const id = this.nextId++;
    const cls: ImageClass = { id, name: name ?? `Class ${id}`, samples: [], skipped: {} };
    this.classes.push(cls);
    const nameInput = h('input', { type: 'text', value: cls.name, id: `images-class-name-${id}`, 'aria-label': 'class name' });
    nameInput.addEventListener('input', () => { cls.name = nameInput.value; this.changed(); });
    const files = h('input', { type: 'file', multiple: true, accept: 'image/*', id: `images-files-${id}`, hidden: true });
    const folder = h('input', { type: 'file', multiple: true, id: `images-folder-${id}`, hidden: true, webkitdirectory: '' });
    files.addEventListener('change', () => { void this.addFiles(cls, pickedFiles(files.files)); files.value = ''; });
    folder.addEventListener('change', () => { void this.addFiles(cls, pickedFiles(folder.files)); folder.value = ''; });
    const record = h('button', { id: `images-record-${id}`, disabled: !this.camera.on, title: 'Hold (mouse, touch, Space or Enter) to record frames' }, 'Hold to record');
    const drop = h('div', { class: 'img-drop', id: `images-drop-${id}` },
      h('span', {}, 'Drop images or folders here, or '),
      h('button', { onclick: () => files.click() }, 'Choose files'), ' ',
      h('button', { onclick: () => folder.click() }, 'Choose a folder'), ' ',
      record, files, folder);
    const view: ClassView = {
      card: h('div', { class: 'img-class', id: `images-class-${id}`, 'data-class-id': id }),
      count: h('span', { class: 'img-count', id: `images-class-count-${id}`, 'data-count': 0 }, '0 images'),
      skipped: h('span', { class: 'note', id: `images-class-skipped-${id}`, 'data-skipped': 0 }),
      thumbs: h('div', { class: 'img-thumbs', id: `images-thumbs-${id}` }),
      more: h('span', { class: 'note' }),
      status: h('span', { class: 'note', id: `images-class-status-${id}` }),
      record,
      skippedPaths: [],
    };
    view.card.append(
      h('div', { class: 'img-class-head' }, nameInput, view.count, view.skipped, view.status,
        h('span', { style: 'margin-left:auto; display:flex; gap:4px' },
          h('button', { id: `images-clear-${id}`, onclick: () => this.clearClass(cls) }, 'Clear images'),
          h('button', { class: 'danger', id: `images-remove-${id}`, onclick: () => this.removeClass(cls) }, 'Remove class'))),
      drop,
      h('div', {}, view.thumbs, view.more),
    );
    this.wireDrop(drop, cls);
    this.wireRecord(record, cls);
    this.views.set(id, view);
    this.list.append(view.card);
    this.changed();
    return cls;
  }

  private removeClass(cls: ImageClass): void {
    const i = this.classes.indexOf(cls);
    if (i < 0) return;
    this.classes.splice(i, 1);
    this.views.get(cls.id)?.card.remove();
    this.views.delete(cls.id);
    this.changed();
  }

  private clearClass(cls: ImageClass): void {
    cls.samples.length = 0;
    cls.skipped = {};
    const v = this.views.get(cls.id)!;
    v.skippedPaths = [];
    v.thumbs.replaceChildren();
    this.refresh(cls);
    this.changed();
  }

  private wireDrop(zone: HTMLElement, cls: ImageClass): void {
    zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      if (!e.dataTransfer) return;
      // Entries must be taken now: the DataTransfer is emptied when this handler returns.
      const { entries, files } = dropEntries(e.dataTransfer);
      const v = this.views.get(cls.id)!;
      void (async () => {
        const found: FoundFile[] = files.map((file) => ({ file, path: file.name }));
        found.push(...(await walkEntries(entries, (path, err) => { v.skippedPaths.push(`${path}: ${(err as Error)?.message ?? err}`); })));
        await this.addFiles(cls, found);
      })();
    });
  }

  private wireRecord(button: HTMLButtonElement, cls: ImageClass): void {
    let timer: ReturnType<typeof setInterval> | null = null;
    const grab = () => {
      if (!this.views.has(cls.id) || !this.camera.on) return stop();
      cls.samples.push({ pixels: this.camera.frame(this.settings), source: 'camera', name: `camera frame ${cls.samples.length + 1}` });
      this.addThumb(cls, cls.samples[cls.samples.length - 1].pixels);
      this.refresh(cls);
      this.changed();
    };
    const start = () => {
      if (timer !== null || !this.camera.on) return;
      button.classList.add('recording');
      grab();
      timer = setInterval(grab, 1000 / this.fps);
    };
    const stop = () => {
      if (timer !== null) clearInterval(timer);
      timer = null;
      button.classList.remove('recording');
    };
    button.addEventListener('pointerdown', (e) => { button.setPointerCapture?.(e.pointerId); start(); });
    for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture', 'blur']) button.addEventListener(ev, stop);
    button.addEventListener('keydown', (e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); start(); } });
    button.addEventListener('keyup', (e) => { if (e.key === ' ' || e.key === 'Enter') stop(); });
  }

  /** Decodes the files one by one (the page stays responsive), skipping what is not an image. */
  async addFiles(cls: ImageClass, found: FoundFile[]): Promise<void> {
    const v = this.views.get(cls.id);
    if (!v) return;
    this.busy++;
    document.body.dataset.imagesLoading = 'yes';
    try {
      for (let i = 0; i < found.length; i++) {
        v.status.textContent = `reading ${i + 1} of ${found.length}…`;
        let result: Awaited<ReturnType<typeof decodeImageFile>>;
        try {
          result = await decodeImageFile(found[i].file, this.settings);
        } catch (e) {
          result = { ok: false, reason: 'corrupt', message: (e as Error).message };
        }
        if (!this.views.has(cls.id)) return; // removed meanwhile
        if (result.ok) {
          cls.samples.push({ pixels: result.pixels, source: 'file', name: found[i].path });
          this.addThumb(cls, result.pixels);
        } else {
          cls.skipped[result.reason] = (cls.skipped[result.reason] ?? 0) + 1;
          v.skippedPaths.push(`${found[i].path}: ${result.message}`);
        }
        this.refresh(cls);
      }
    } finally {
      v.status.textContent = '';
      this.busy--;
      if (this.busy === 0) document.body.dataset.imagesLoading = 'no';
      this.changed();
    }
  }

  private addThumb(cls: ImageClass, pixels: Uint8Array): void {
    const v = this.views.get(cls.id)!;
    if (v.thumbs.childElementCount < THUMBS) v.thumbs.append(pixelsCanvas(pixels, this.settings.size, 40));
  }

  private refresh(cls: ImageClass): void {
    const v = this.views.get(cls.id)!;
    const n = cls.samples.length;
    v.count.textContent = `${n} image${n === 1 ? '' : 's'}`;
    v.count.dataset.count = String(n);
    v.more.textContent = n > THUMBS ? ` +${n - THUMBS} more` : '';
    const entries = (Object.keys(REASONS) as SkipReason[]).filter((r) => cls.skipped[r]).map((r): [SkipReason, number] => [r, cls.skipped[r]!]);
    const total = entries.reduce((s, [, k]) => s + k, 0);
    v.skipped.dataset.skipped = String(total);
    v.skipped.textContent = total ? `· skipped ${total} (${entries.map(([r, k]) => `${k} ${REASONS[r]}`).join(', ')})` : '';
    v.skipped.title = v.skippedPaths.slice(0, 20).join('\n') + (v.skippedPaths.length > 20 ? `\n… and ${v.skippedPaths.length - 20} more` : '');
  }
}
