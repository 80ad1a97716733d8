/**
 * Issue 16, item 6: `npx convlab ...` prints no npm warning, and `npm ci` does not run
 * onnxruntime-node's install script (which would download the CUDA provider from NuGet).
 *
 * The project once set `onnxruntime-node-install=skip` in .npmrc, which npm 11 reports on every
 * command ("Unknown project config"). Now:
 * - npm 11 skips the script because package.json's allowScripts denies it (and approves
 *   esbuild's, so npm has nothing unreviewed to warn about);
 * - npm 10 ignores allowScripts, but `npm ci` runs a package's install scripts only when its
 *   lockfile entry says `hasInstallScript` (arborist's rebuild reads the package.json from disk
 *   only then), and onnxruntime-node's entry does not say so.
 * Checked by hand with npm 11.19.1 and npm 10.9.9 on clean clones under strace: no execve of
 * onnxruntime-node/script/install, no connection but to the npm registry (docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from './helpers.js';

/** The environment of a user's shell: none of the npm_* variables `npm test` sets for its scripts. */
function userEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
}

function npx(args: string[], npmCli?: string) {
  const [cmd, argv] = npmCli ? [process.execPath, [npmCli, 'exec', '--', ...args]] : ['npx', args];
  return spawnSync(cmd, argv, { cwd: repoRoot, encoding: 'utf8', env: userEnv(), timeout: 120_000 });
}

const built = existsSync(path.join(repoRoot, 'dist', 'cli', 'convlab.js')) ? false : 'dist/ not built (npm run build)';

test('npx convlab prints no npm warning', { skip: built }, () => {
  for (const args of [['convlab', '--version'], ['convlab', 'summary', 'lenet5']]) {
    const r = npx(args);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /^npm (warn|WARN|error|ERR)/m, `npx ${args.join(' ')} printed:\n${r.stderr}`);
    assert.equal(r.stderr, '', `npx ${args.join(' ')} printed on stderr:\n${r.stderr}`);
  }
});

test('the built CLI is executable by itself, not only through npm\'s bin links', { skip: built }, () => {
  // npx runs the project's bin through a cache entry keyed by the project's path; a fresh clone in
  // a path used before meets the old entry, whose link does not chmod the new file again, and sh
  // answered "convlab: Permission denied". The build sets the mode itself.
  const mode = statSync(path.join(repoRoot, 'dist', 'cli', 'convlab.js')).mode;
  assert.equal(mode & 0o111, 0o111, `dist/cli/convlab.js has mode ${(mode & 0o777).toString(8)}`);
});

test('the same with npm 10, when CONVLAB_NPM10 names its npm-cli.js', { skip: built || (!process.env.CONVLAB_NPM10 && 'set CONVLAB_NPM10=/path/to/npm@10/bin/npm-cli.js to check npm 10') }, () => {
  const r = npx(['convlab', '--version'], process.env.CONVLAB_NPM10);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', r.stderr);
});

test('npm config holds no key npm does not know, and onnxruntime-node\'s install script is not run by npm ci', () => {
  const npmrc = path.join(repoRoot, '.npmrc');
  if (existsSync(npmrc)) {
    for (const line of readFileSync(npmrc, 'utf8').split('\n')) {
      assert.doesNotMatch(line, /onnxruntime/, '.npmrc: npm 11 warns "Unknown project config" on every command');
    }
  }
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  assert.equal(pkg.allowScripts?.['onnxruntime-node'], false, 'npm 11: allowScripts denies onnxruntime-node');
  const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8'));
  const entry = lock.packages['node_modules/onnxruntime-node'];
  assert.ok(entry, 'onnxruntime-node is in the lockfile');
  assert.equal(entry.hasInstallScript, undefined, 'npm 10: npm ci runs install scripts only for entries flagged hasInstallScript');
  // Every other package with an install script is reviewed, so npm 11 has nothing to warn about.
  for (const [where, p] of Object.entries(lock.packages as Record<string, { hasInstallScript?: boolean }>)) {
    if (!p.hasInstallScript) continue;
    const name = where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length);
    assert.ok(name in (pkg.allowScripts ?? {}), `${name} has an install script but no allowScripts entry`);
  }
});
