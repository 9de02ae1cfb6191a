#!/usr/bin/env node
// Every command the READMEs give must work (issue #21). This checks what can be checked without
// running them: every shell line of a ```sh block and every inline `npm …`, `npx …`, `node …`,
// `cd … && …` span in the Markdown files of the repository (not node_modules) is parsed, and
//   - `npm run S` / `npm test` / `npm start` (with `-w W`, `--workspace=W`, or after `cd DIR`)
//     names a script of that package.json;
//   - `npm run bench -- --only=a,b` names cases the bench has (bench/src/run.ts);
//   - `node FILE`, `npx tsx FILE`, `node --import tsx FILE` name a file that exists;
//   - `npx BIN` names a binary in node_modules/.bin; `npx stryker run CONFIG` a config that exists;
//   - `npx jest PATTERN` matches a test file under the directory it runs in;
//   - `npm i PKG …` names our packages or packages that exist in node_modules.
// A command is read from the repository root unless it `cd`s; a relative path may also be read
// from the Markdown file's own folder (package READMEs say `npx jest test/integration` for the
// package). Exits 1 naming each command that fails, with its file and line.
//   node scripts/check-doc-commands.mjs [--list]
// scripts/run-doc-commands.mjs runs the same commands (it imports markdownFiles and commandsOf).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(import.meta.dirname, '..');
const list = process.argv.includes('--list');

export function markdownFiles(dir, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.') || e.name === 'dist') continue;
    if (e.name === 'reports' || e.name === 'results' || e.name === 'CHANGELOG.md') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) markdownFiles(p, out);
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

const COMMAND = /^(?:[A-Z_][A-Z0-9_]*=\S*\s+)*(?:npm|npx|node|cd)\s/;
/** Commands of one Markdown file: { line, text }. */
export function commandsOf(file) {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = [];
  let fence = null;
  lines.forEach((raw, i) => {
    const m = /^\s*(```+|~~~+)\s*(\w*)/.exec(raw);
    if (m) {
      if (fence === null) fence = /^(sh|bash|shell|console)$/.test(m[2]) ? 'sh' : 'other';
      else fence = null;
      return;
    }
    if (fence === 'sh') {
      const text = raw
        .replace(/^\s*\$\s*/, '')
        .replace(/\s+#.*$/, '')
        .trim();
      if (text && !text.startsWith('#')) found.push({ line: i + 1, text });
      return;
    }
    if (fence === 'other') return;
    for (const span of raw.matchAll(/`([^`]+)`/g)) {
      const text = span[1].trim();
      if (COMMAND.test(`${text} `) && /\s/.test(text) && !/[<>]|\.\.\./.test(text))
        found.push({ line: i + 1, text });
    }
  });
  return found;
}

const readJson = (p) => JSON.parse(fs.readFileSync(p, 'utf8'));
const workspaces = new Map(); // name and folder -> folder
for (const group of ['packages', 'apps']) {
  for (const d of fs.readdirSync(path.join(root, group))) {
    const pj = path.join(root, group, d, 'package.json');
    if (!fs.existsSync(pj)) continue;
    const dir = path.join(root, group, d);
    workspaces.set(readJson(pj).name, dir);
    workspaces.set(`${group}/${d}`, dir);
  }
}
workspaces.set('@resil/bench', path.join(root, 'bench'));
workspaces.set('bench', path.join(root, 'bench'));
const benchCases = [
  ...fs
    .readFileSync(path.join(root, 'bench/src/run.ts'), 'utf8')
    .matchAll(/^\s*\['([\w-]+)', \(\) =>/gm),
].map((m) => m[1]);

function testFiles(dir, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) testFiles(p, out);
    else if (/\.test\.[cm]?[jt]s$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Problems of one command (an empty list: it checks out). */
function check(text, mdDir) {
  const problems = [];
  let cwd = root;
  // `PATH="$(bash scripts/fetch-node.sh 22):$PATH" cmd`: check the script, then the command
  const fetch = /^PATH="\$\((?:bash )?(\S+)[^)]*\):\$PATH"\s+/.exec(text);
  if (fetch) {
    if (!fs.existsSync(path.join(root, fetch[1]))) problems.push(`${fetch[1]} does not exist`);
    text = text.slice(fetch[0].length);
  }
  for (let part of text.split(/\s*&&\s*/)) {
    part = part.replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '');
    const words = part.split(/\s+/).filter(Boolean);
    const [cmd, ...args] = words;
    const exists = (p) =>
      [cwd, mdDir, root].some((base) => fs.existsSync(path.resolve(base, p.split(':')[0])));
    if (cmd === 'cd') {
      const candidates = [path.resolve(cwd, args[0]), path.resolve(mdDir, args[0])];
      const dir = candidates.find((d) => fs.existsSync(d));
      if (!dir) problems.push(`cd ${args[0]}: no such folder`);
      else cwd = dir;
    } else if (cmd === 'npm') {
      const sub = args[0];
      if (sub === 'i' || sub === 'install' || sub === 'ci') {
        for (const pkg of args.slice(1).filter((a) => !a.startsWith('-'))) {
          const name = pkg.replace(/(.)@[^/]*$/, '$1');
          if (!workspaces.has(name) && !fs.existsSync(path.join(root, 'node_modules', name)))
            problems.push(`npm i ${pkg}: not one of ours and not in node_modules`);
        }
        continue;
      }
      const script = sub === 'run' ? args[1] : sub;
      if (!['run', 'test', 'start'].includes(sub)) continue;
      const ws = args.find((_a, i) => args[i - 1] === '-w' || args[i - 1] === '--workspace');
      const wsEq = args.find((a) => a.startsWith('--workspace='))?.slice(12);
      const wsName = ws ?? wsEq;
      // no workspace named: where it runs (the root, or a `cd`), else the Markdown file's package
      const hasScript = (d) =>
        fs.existsSync(path.join(d, 'package.json')) &&
        script in (readJson(path.join(d, 'package.json')).scripts ?? {});
      const dir =
        wsName !== undefined
          ? workspaces.get(wsName)
          : hasScript(cwd) || cwd !== root
            ? cwd
            : mdDir;
      if (dir === undefined) {
        problems.push(`npm ${sub}: no workspace ${wsName}`);
        continue;
      }
      const scripts = readJson(path.join(dir, 'package.json')).scripts ?? {};
      if (!(script in scripts))
        problems.push(`npm run ${script}: no such script in ${path.relative(root, dir) || '.'}`);
      const only = args.find((a) => a.startsWith('--only='));
      if (script === 'bench' && only)
        for (const n of only.slice(7).split(','))
          if (!benchCases.includes(n)) problems.push(`--only=${n}: the bench has no such case`);
    } else if (cmd === 'node') {
      const file = args.find(
        (a, i) => !a.startsWith('-') && !/^(--import|--conditions)$/.test(args[i - 1]),
      );
      if (file && /\.[cm]?[jt]s$/.test(file) && !exists(file))
        problems.push(`node ${file}: no such file`);
    } else if (cmd === 'npx') {
      const bin = args[0];
      if (!fs.existsSync(path.join(root, 'node_modules/.bin', bin)))
        problems.push(`npx ${bin}: not installed`);
      if (bin === 'tsx' && args[1] && !exists(args[1]))
        problems.push(`npx tsx ${args[1]}: no such file`);
      if (bin === 'stryker' && args[1] === 'run' && args[2] && !exists(args[2]))
        problems.push(`stryker config ${args[2]}: no such file`);
      if (bin === 'jest') {
        const pattern = args
          .slice(1)
          .find((a, i, all) => !a.startsWith('-') && (i === 0 || !all[i - 1].startsWith('-')));
        // Jest reads the pattern as a regular expression over test file paths
        const re = pattern === undefined ? undefined : new RegExp(pattern.replace(/^\.\//, ''));
        if (re && ![cwd, mdDir].some((b) => testFiles(b).some((f) => re.test(path.relative(b, f)))))
          problems.push(`npx jest ${pattern}: matches no test file`);
      }
    }
  }
  return problems;
}

// imported by scripts/run-doc-commands.mjs for its extraction: run the check only when invoked
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let failures = 0;
  let checked = 0;
  for (const file of markdownFiles(root)) {
    const mdDir = path.dirname(file);
    for (const { line, text } of commandsOf(file)) {
      checked++;
      const problems = check(text, mdDir);
      const where = `${path.relative(root, file)}:${line}`;
      if (list) console.log(`${problems.length ? 'FAIL' : 'ok  '} ${where}  ${text}`);
      for (const p of problems) {
        failures++;
        console.error(`${where}: \`${text}\`: ${p}`);
      }
    }
  }
  console.log(`doc commands: ${checked} checked, ${failures} problem(s)`);
  process.exit(failures > 0 ? 1 : 0);
}
