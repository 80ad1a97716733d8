/**
 * Decodes and prepares dropped pictures off the page's thread: a 12-megapixel photo takes about
 * a second (decode, read back, resize), which would freeze the page for as long.
 */
import { decodeImage, type DecodedFile } from './image_decode.js';
import type { ImageSettings } from './images_data.js';

export interface DecodeRequest {
  id: number;
  file: Blob;
  settings: ImageSettings;
}

export interface DecodeReply {
  id: number;
  result: DecodedFile;
}

const scope = self as unknown as { onmessage: ((e: MessageEvent<DecodeRequest>) => void) | null; postMessage(m: DecodeReply, transfer?: Transferable[]): void };

scope.onmessage = (e) => {
  const { id, file, settings } = e.data;
  decodeImage(file, settings)
    .catch((err: unknown): DecodedFile => ({ ok: false, reason: 'corrupt', message: err instanceof Error ? err.message : String(err) }))
    .then((result) => scope.postMessage({ id, result }, result.ok ? [result.pixels.buffer] : []));
};
