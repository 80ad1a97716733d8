/**
 * Builds the lab into a temporary folder, serves it on 127.0.0.1 (ephemeral port, with the
 * same COOP/COEP headers as `npm run lab`) and starts Debian's Chromium through playwright-core.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { buildLabData } from '../../lab/scripts/build-data.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const config = path.join(repoRoot, 'lab', 'vite.config.ts');
export const CHROMIUM = process.env.CONVLAB_CHROMIUM ?? '/usr/bin/chromium';

export interface Lab {
  url: string;
  outDir: string;
  /** A persistent context on a fresh, temporary user-data dir. */
  context: BrowserContext;
  userDataDir: string;
  close(): Promise<void>;
}

export interface LabOptions {
  /** Chromium's fake camera (a moving test pattern), granted without a prompt. */
  fakeCamera?: boolean;
}

export async function startLab(options: LabOptions = {}): Promise<Lab> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with 'apt-get install -y chromium' (or set CONVLAB_CHROMIUM to its path)`);
  }
  await buildLabData();
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'convlab-lab-dist-'));
  await build({ configFile: config, logLevel: 'error', build: { outDir, emptyOutDir: true } });
  let server: PreviewServer | null = null;
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'convlab-chromium-'));
  try {
    server = await preview({ configFile: config, logLevel: 'error', build: { outDir }, preview: { host: '127.0.0.1', port: 0, strictPort: true, open: false } });
    const address = server.httpServer.address();
    if (!address || typeof address === 'string') throw new Error('the preview server has no TCP address');
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run',
        ...(options.fakeCamera ? ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream'] : []),
      ],
      acceptDownloads: true,
      viewport: { width: 1280, height: 900 },
    });
    const s = server;
    return {
      url: `http://127.0.0.1:${address.port}/`,
      outDir,
      context,
      userDataDir,
      async close() {
        await context.close();
        await s.close();
        await rm(outDir, { recursive: true, force: true });
        await rm(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server?.close();
    await rm(outDir, { recursive: true, force: true });
    await rm(userDataDir, { recursive: true, force: true });
    throw err;
  }
}
