/**
 * Runs notebooks/lab08-cnn.ipynb end to end as CI would (`jupyter nbconvert --execute`, tslab
 * kernel, CONVLAB_NOTEBOOK_QUICK=1) and checks what a student would see: every cell ran, the
 * summary cells print the lab's numbers, and the plot cells show PNG images.
 *
 * Needs Jupyter (Debian: jupyter-notebook jupyter-nbconvert python3-ipykernel, installed by
 * .ci/run), the kernel (`npm ci --prefix notebooks`) and a built library (`npm run build`, which
 * `npm test` runs first). A missing piece fails the test with the command that installs it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const notebook = path.join(repoRoot, 'notebooks', 'lab08-cnn.ipynb');
const tslab = path.join(repoRoot, 'notebooks', 'node_modules', '.bin', 'tslab');

/** Where Fashion-MNIST and CIFAR-10 are, as the other dataset tests look for them. */
const dataRoot = [process.env.CONVLAB_SHARED_DATASETS, path.resolve(repoRoot, '../shared/datasets'), '/usr/share/datasets']
  .filter((d): d is string => Boolean(d))
  .find((d) => existsSync(path.join(d, 'fashion-mnist')) && existsSync(path.join(d, 'cifar-10')));

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, string | string[]>;
  ename?: string;
  evalue?: string;
}
interface Cell {
  cell_type: string;
  source: string | string[];
  metadata?: { execution?: Record<string, string> };
  outputs?: Output[];
}

const joined = (s: string | string[] | undefined) => (Array.isArray(s) ? s.join('') : s ?? '');

function requirements(): string {
  const jupyter = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8' });
  assert.ok(
    jupyter.status === 0,
    'jupyter nbconvert is not installed (needed to run the notebook). On Debian: ' +
      'apt-get update && apt-get install -y jupyter-notebook jupyter-nbconvert python3-ipykernel (.ci/run installs them). ' +
      `(${jupyter.error?.message ?? jupyter.stderr.trim().split('\n').pop()})`,
  );
  assert.ok(existsSync(tslab), `The notebook kernel is not installed: run 'npm ci --prefix notebooks' (expected ${tslab})`);
  // `npm test` builds first; run alone, this file needs a build that includes explain.
  const dist = path.join(repoRoot, 'dist', 'src', 'explain', 'index.js');
  assert.ok(existsSync(dist), `The notebook imports the built library: run 'npm run build' (expected ${dist})`);
  return jupyter.stdout.trim();
}

test('notebooks/lab08-cnn.ipynb runs end to end and shows the lab\'s numbers and plots', { timeout: 300_000, skip: dataRoot ? false : 'Fashion-MNIST and CIFAR-10 not found (set CONVLAB_SHARED_DATASETS); skipping' }, () => {
  requirements();
  const work = mkdtempSync(path.join(os.tmpdir(), 'convlab-notebook-'));
  try {
    // A kernel spec of our own, pointing at this checkout's tslab: nothing is installed globally.
    const kernelDir = path.join(work, 'jupyter', 'kernels', 'tslab');
    mkdirSync(kernelDir, { recursive: true });
    writeFileSync(path.join(kernelDir, 'kernel.json'), JSON.stringify({ argv: [tslab, 'kernel', '--config-path', '{connection_file}'], display_name: 'TypeScript', language: 'typescript' }));
    const out = path.join(work, 'out');
    const started = Date.now();
    const r = spawnSync('jupyter', ['nbconvert', '--to', 'notebook', '--execute', notebook, '--output-dir', out, '--ExecutePreprocessor.timeout=240'], {
      cwd: path.dirname(notebook),
      encoding: 'utf8',
      env: { ...process.env, CONVLAB_NOTEBOOK_QUICK: '1', CONVLAB_DATA: dataRoot, JUPYTER_PATH: path.join(work, 'jupyter'), JUPYTER_RUNTIME_DIR: path.join(work, 'runtime'), JUPYTER_CONFIG_DIR: path.join(work, 'config') },
      timeout: 280_000,
    });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    assert.equal(r.status, 0, `jupyter nbconvert --execute failed after ${seconds} s:\n${(r.stderr ?? '').split('\n').slice(-30).join('\n')}`);
    console.log(`notebook executed in ${seconds} s`);

    const cells = (JSON.parse(readFileSync(path.join(out, 'lab08-cnn.ipynb'), 'utf8')) as { cells: Cell[] }).cells;
    const code = cells.filter((c) => c.cell_type === 'code');
    assert.ok(code.length >= 15, `expected the lab's sections as code cells, found ${code.length}`);
    for (const [i, c] of code.entries()) {
      const where = `code cell ${i + 1} (${joined(c.source).split('\n')[0]})`;
      // tslab sends no execution_count; nbclient records when the kernel answered each cell.
      assert.ok(c.metadata?.execution?.['shell.execute_reply'], `${where} did not run (no execute_reply recorded)`);
      for (const o of c.outputs ?? []) {
        assert.notEqual(o.output_type, 'error', `${where}: ${o.ename}: ${o.evalue}`);
        if (o.output_type === 'stream' && o.name === 'stderr') assert.doesNotMatch(joined(o.text), /Error|error TS|\n\s+at /, `${where} wrote to stderr:\n${joined(o.text)}`);
      }
    }

    const text = (c: Cell) => (c.outputs ?? []).filter((o) => o.output_type === 'stream').map((o) => joined(o.text)).join('');
    const printed = (pattern: RegExp, what: string) => {
      const cell = code.find((c) => pattern.test(text(c)));
      assert.ok(cell, `no cell printed ${what} (${pattern})`);
      return cell;
    };
    printed(/Total params: 48,000,100/, 'the MLP\'s 48,000,100 parameters');
    printed(/conv2d.*\(None, 798, 598, 100\)\s+2800[\s\S]*Total params: 2,800/, 'the convolution\'s 2,800 parameters');
    printed(/max_pooling2d.*\(None, 399, 299, 100\)/, 'the pooled shape (None, 399, 299, 100)');
    printed(/Total params: 118,980/, 'the Fashion-MNIST CNN\'s 118,980 parameters');
    printed(/Epoch 1\/2\n.*\[=+\].*loss: .*accuracy: .*val_loss/, 'fit\'s progress bar');
    printed(/Classe predita foi \d com \d+%\. Classe correta é 0, T-shirt\/top\./, 'the prediction for item 4000');
    printed(/LeNet-5 test accuracy 0\.\d+/, 'LeNet-5\'s test accuracy');
    printed(/CIFAR-10 test accuracy 0\.\d+/, 'the CIFAR-10 accuracy');

    // Every cell that shows pictures has them, as PNG, one per show() call.
    const plotCells = code.filter((c) => /\bshow\(/.test(joined(c.source)));
    assert.ok(plotCells.length >= 6, `expected at least 6 plot cells (curves, predictions, LeNet-5, feature maps, CIFAR-10, Grad-CAM), found ${plotCells.length}`);
    let pictures = 0;
    for (const c of plotCells) {
      const pngs = (c.outputs ?? []).filter((o) => o.output_type === 'display_data' && o.data?.['image/png']);
      const calls = (joined(c.source).match(/\bshow\(/g) ?? []).length;
      const where = joined(c.source).split('\n')[0];
      assert.ok(pngs.length >= calls, `plot cell '${where}' shows ${pngs.length} PNG images for ${calls} show() calls`);
      for (const o of pngs) {
        const bytes = Buffer.from(joined(o.data!['image/png']), 'base64');
        assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `plot cell '${where}': not a PNG`);
        assert.ok(bytes.length > 5000, `plot cell '${where}': a ${bytes.length}-byte PNG is too small to be a plot`);
        pictures++;
      }
    }
    const gradCamCell = code.find((c) => /explain\.gradCam/.test(joined(c.source)));
    assert.ok(gradCamCell && (gradCamCell.outputs ?? []).filter((o) => o.data?.['image/png']).length >= 2, 'the Grad-CAM cell shows its maps');
    console.log(`${code.length} code cells ran; ${pictures} PNG pictures`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
