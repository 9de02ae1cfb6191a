#!/usr/bin/env node
// Packaging checks for every published @resil package (run after `npm run build`):
//   1. publint            the package.json and files are publishable
//   2. attw --pack        types resolve for node10, node16 (CJS and ESM) and bundlers
//   3. pack smoke test    `npm pack` every package, install the tarballs into an empty project,
//                         then require() them from a CommonJS file and import() them from an ES module.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.join(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const pkgs = fs
  .readdirSync(path.join(root, 'packages'))
  .map((d) => path.join(root, 'packages', d))
  .filter((d) => {
    const pj = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
    return !pj.private;
  });

const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', ...opts });

let failed = 0;
for (const dir of pkgs) {
  const name = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).name;
  for (const [label, cmd, args] of [
    ['publint', bin('publint'), ['--strict', dir]],
    ['attw', bin('attw'), ['--pack', dir, '--format', 'table-flipped']],
  ]) {
    try {
      run(cmd, args, { cwd: dir });
      console.log(`ok    ${label.padEnd(8)} ${name}`);
    } catch (e) {
      failed++;
      console.log(`FAIL  ${label.padEnd(8)} ${name}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }
}

// Pack smoke test: the tarballs, installed like a user would, load from CJS and ESM.
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resil-pack-'));
try {
  const tarballs = pkgs.map((dir) =>
    path.join(
      tmp,
      run('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: dir })
        .trim()
        .split('\n')
        .pop(),
    ),
  );
  const names = pkgs.map(
    (d) => JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')).name,
  );
  const app = path.join(tmp, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, 'package.json'),
    JSON.stringify({ name: 'smoke', private: true }),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...tarballs,
      'express@5',
      'ioredis@5',
    ],
    {
      cwd: app,
    },
  );
  fs.writeFileSync(
    path.join(app, 'cjs.cjs'),
    `for (const n of ${JSON.stringify(names)}) { const m = require(n); if (Object.keys(m).length === 0) throw new Error(n + ' exports nothing (CJS)'); }\nconsole.log('cjs ok');\n`,
  );
  fs.writeFileSync(
    path.join(app, 'esm.mjs'),
    `for (const n of ${JSON.stringify(names)}) { const m = await import(n); if (Object.keys(m).length === 0) throw new Error(n + ' exports nothing (ESM)'); }\nconsole.log('esm ok');\n`,
  );
  for (const f of ['cjs.cjs', 'esm.mjs']) {
    try {
      run('node', [f], { cwd: app });
      console.log(`ok    pack     ${f} loads ${names.length} packed packages`);
    } catch (e) {
      failed++;
      console.log(`FAIL  pack     ${f}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(failed ? `packaging: ${failed} problem(s)` : 'packaging: all checks passed');
process.exit(failed ? 1 : 0);
