// Compiles the AssemblyScript kernels into the four builds the loader chooses between:
// {portable SIMD, relaxed SIMD} x {shared memory for threads, private memory}. Outputs go to
// build/wasm/ (for running from source) and dist/build/wasm/ (for the compiled package), which
// sit at the same relative path from src/kernels/wasm/ and dist/src/kernels/wasm/. Builds are
// skipped when newer than every source, so repeated `npm run build` calls stay fast.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, renameSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = join(root, 'assembly');
const outDirs = [join(root, 'build', 'wasm'), join(root, 'dist', 'build', 'wasm')];
const asc = join(root, 'node_modules', 'assemblyscript', 'bin', 'asc.js');

const variants = [
  { name: 'convlab-simd', flags: [] },
  { name: 'convlab-relaxed', flags: ['--enable', 'relaxed-simd'] },
  { name: 'convlab-simd-mt', flags: ['--sharedMemory', '--enable', 'threads'] },
  { name: 'convlab-relaxed-mt', flags: ['--sharedMemory', '--enable', 'threads', '--enable', 'relaxed-simd'] },
];
const common = ['--optimizeLevel', '3', '--runtime', 'stub', '--noAssert', '--importMemory', '--initialMemory', '64', '--maximumMemory', '65536', '--enable', 'simd'];

const newestSource = Math.max(
  statSync(join(root, 'assembly', 'build.mjs')).mtimeMs,
  ...readdirSync(sources).filter((f) => f.endsWith('.ts')).map((f) => statSync(join(sources, f)).mtimeMs),
);

function compile(variant) {
  const target = join(outDirs[0], `${variant.name}.wasm`);
  if (existsSync(target) && statSync(target).mtimeMs > newestSource) return Promise.resolve(false);
  const temp = `${target}.${process.pid}.tmp`;
  const args = [asc, join(sources, 'index.ts'), ...common, ...variant.flags, '--outFile', temp];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`asc failed for ${variant.name} (exit code ${code})`));
      else {
        renameSync(temp, target);
        resolve(true);
      }
    });
  });
}

mkdirSync(outDirs[0], { recursive: true });
// Two at a time: asc is single-threaded and the machines this runs on are small.
const built = [];
for (let i = 0; i < variants.length; i += 2) {
  built.push(...(await Promise.all(variants.slice(i, i + 2).map(compile))));
}
for (const dir of outDirs.slice(1)) {
  mkdirSync(dir, { recursive: true });
  for (const v of variants) {
    const from = join(outDirs[0], `${v.name}.wasm`);
    const to = join(dir, `${v.name}.wasm`);
    copyFileSync(from, `${to}.tmp`);
    renameSync(`${to}.tmp`, to);
  }
}
console.log(`wasm: ${built.filter(Boolean).length} of ${variants.length} builds compiled, the rest up to date (build/wasm)`);
