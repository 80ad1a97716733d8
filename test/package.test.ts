import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('the built package', () => {
  it("is importable as 'convlab' (package self-reference), with types", () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.ok(existsSync(path.join(root, pkg.exports['.'].default)), 'run `npm run build` first (npm test does)');
    assert.ok(existsSync(path.join(root, pkg.exports['.'].types)));
    const script = `
      import { sequential, layers, tensor } from 'convlab';
      const m = sequential({ layers: [layers.dense({ units: 2, inputShape: [3], activation: 'softmax' })] });
      console.log(JSON.stringify({ params: m.countParams(), shape: m.predict(tensor([[1, 2, 3]])).shape }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), { params: 8, shape: [1, 2] });
  });
  it('keeps Node-only modules out of the core that browsers import', () => {
    const core = ['src/index.ts', 'src/tensor', 'src/kernels/reference', 'src/autograd', 'src/ops', 'src/layers', 'src/models', 'src/optimizers', 'src/losses', 'src/metrics', 'src/callbacks', 'src/utils'];
    const offenders: string[] = [];
    const walk = (p: string): void => {
      const full = path.join(root, p);
      if (!existsSync(full)) return;
      if (p.endsWith('.ts')) {
        if (/from ['"](node:|fs|path|os|child_process|worker_threads)['"/]/.test(readFileSync(full, 'utf8'))) offenders.push(p);
        return;
      }
      for (const entry of readdirSync(full)) walk(path.join(p, entry));
    };
    core.forEach(walk);
    assert.deepEqual(offenders, []);
  });
});
