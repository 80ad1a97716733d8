import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { resolveObjectURL } from 'node:buffer';
import { readFileSync, mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadLayersModel, setSeed, type Sequential } from '../../src/index.js';
import { browserFiles, browserModels } from '../../src/io/index.js';
import { fashionMnistSample } from './helpers/data.js';
import { perturbWeights, predictData, testModels } from './helpers/models.js';

/**
 * The browser handlers, run in Node with stand-ins for the browser: fake-indexeddb for
 * IndexedDB, Node's File/Blob/URL.createObjectURL and a minimal document for downloads, and a
 * local HTTP server for http:// loading.
 */
const root = mkdtempSync(join(tmpdir(), 'convlab-browser-'));
after(() => rmSync(root, { recursive: true, force: true }));

let model: Sequential;
const { x } = fashionMnistSample(8);
before(async () => {
  setSeed(71);
  model = testModels['bn-dropout']();
  perturbWeights(model);
  await model.save(join(root, 'saved'));
});

function same(a: Sequential, b: Sequential): void {
  assert.deepEqual(Array.from(predictData(a, x)), Array.from(predictData(b, x)));
}

describe('browser handlers', () => {
  it("indexeddb:// saves and loads, lists and removes", async () => {
    await model.save('indexeddb://bn-model');
    same(model, await loadLayersModel('indexeddb://bn-model'));
    assert.deepEqual((await browserModels.list()).map((m) => m.name), ['bn-model']);
    await browserModels.remove('bn-model');
    await assert.rejects(loadLayersModel('indexeddb://bn-model'), /No model named 'bn-model' in IndexedDB/);
  });

  it('downloads:// hands the browser <name>.json and <name>.weights.bin, which load back with browserFiles', async () => {
    const clicked: { download: string; href: string }[] = [];
    const g = globalThis as { document?: unknown };
    g.document = { createElement: () => ({ download: '', href: '', click() { clicked.push({ download: this.download, href: this.href }); } }) };
    try {
      await model.save('downloads://my-model');
    } finally {
      delete g.document;
    }
    assert.deepEqual(clicked.map((c) => c.download), ['my-model.json', 'my-model.weights.bin']);
    const files = await Promise.all(clicked.map(async (c) => new File([await resolveObjectURL(c.href)!.arrayBuffer()], c.download)));
    const json = JSON.parse(await files[0].text());
    assert.deepEqual(json.weightsManifest[0].paths, ['my-model.weights.bin']);
    same(model, await loadLayersModel(browserFiles(files)));
  });

  it('browserFiles names a missing or truncated weight file', async () => {
    const dir = join(root, 'saved');
    const jsonFile = new File([readFileSync(join(dir, 'model.json'))], 'model.json');
    const weights = readFileSync(join(dir, 'weights.bin'));
    await assert.rejects(loadLayersModel(browserFiles([jsonFile])), /Weight file 'weights.bin' is missing/);
    await assert.rejects(loadLayersModel(browserFiles([jsonFile, new File([weights.subarray(0, 10)], 'weights.bin')])), /Weight data is truncated: 'weights.bin' hold 10 bytes/);
    await assert.rejects(loadLayersModel(browserFiles([new File(['x'], 'w.bin')])), /Choose the model's .json file/);
  });

  it('http:// loads model.json and its shards relative to it', async () => {
    const dir = join(root, 'saved');
    const server: Server = createServer((req, res) => {
      const name = (req.url ?? '').split('/').pop()!;
      if (!readdirSync(dir).includes(name)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.end(readFileSync(join(dir, name)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      same(model, await loadLayersModel(`http://127.0.0.1:${port}/models/model.json`));
      await assert.rejects(loadLayersModel(`http://127.0.0.1:${port}/models/none.json`), /HTTP 404/);
    } finally {
      server.close();
    }
  });

  it('unknown schemes are named', async () => {
    await assert.rejects(loadLayersModel('gs://bucket/model.json'), /the scheme 'gs:\/\/' is not supported here; supported: file:\/\/, indexeddb:\/\/, downloads:\/\/, http:\/\/, https:\/\//);
    await assert.rejects(loadLayersModel('downloads://x'), /'downloads:\/\/' cannot load models; it only supports saving/);
  });
});
