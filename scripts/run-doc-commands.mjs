#!/usr/bin/env node
// Every command the READMEs give must work from a clean clone (issue #21). scripts/check-doc-commands.mjs
// checks them statically (in CI); this RUNS them, in a clone you made and built:
//   rm -rf /tmp/doc-clone && git clone -q . /tmp/doc-clone && (cd /tmp/doc-clone && npm install && npm run build)
//   node scripts/run-doc-commands.mjs /tmp/doc-clone [--match=REGEX] [--list] [--resume[=FILE,…]] [--out=FILE]
// Commands are the ones check-doc-commands extracts (same functions), read from the clone's Markdown.
// Each runs with `bash -c` in the folder the README implies (the root, the README's own package folder
// for `npx jest` and files that exist only there, or the command's own `cd`), with a timeout, and is
// judged by its class (CLASSES below: the exceptions, one reason each; everything else is `run`):
//   run       runs to completion, must exit 0
//   server    started in its own process group; must answer an HTTP probe, then is stopped
//   with-demo `npm start` is started first (the command talks to the demo), then the command must exit 0
//   stryker   run with `--dryRunOnly` (StrykerJS 9): the config and the initial test run, no mutants
//   bench     a short variant (`--quick`, fewer seconds/rounds/requests); the table shows what ran
//   chaos     a short variant (`--minutes 1`) where the README's run is long
//   caught    a deliberately broken variant (a chaos mutant): must exit non-zero
//   registry  `npm i @resil/x …`: the packages are not published, so `npm pack` x and the @resil
//             packages it depends on, `npm i` the tarballs (and the other names) in an empty project,
//             then require() and import() it
//   not-run   prose, not a command (a fragment in backticks): listed with the reason
// An identical command (same folder, same text after its class's change) runs once; later ones
// reuse the outcome and say so. Writes the table to stdout and RESULTS (results/doc-commands.md
// of this repository); exits 1 if any command failed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandsOf, markdownFiles } from './check-doc-commands.mjs';

const here = path.join(import.meta.dirname, '..');
const argv = process.argv.slice(2);
const clone = path.resolve(argv.find((a) => !a.startsWith('--')) ?? '');
const match = argv.find((a) => a.startsWith('--match='))?.slice(8);
const listOnly = argv.includes('--list');
if (!fs.existsSync(path.join(clone, 'package.json')) || clone === path.resolve(here)) {
  console.error('usage: node scripts/run-doc-commands.mjs <clean clone, installed and built>');
  process.exit(2);
}
const RESULTS = path.resolve(
  argv.find((a) => a.startsWith('--out='))?.slice(6) ??
    path.join(here, 'results', 'doc-commands.md'),
);

// --- classification: [file regex, command regex, class, change (string or function), reason] ---
const CLASSES = [
  [
    /./,
    /merge-incremental\.mjs$/,
    'run',
    (t) =>
      `RESIL_MUTATION_PART=logger npx stryker run packages/safe-log/stryker.config.mjs --concurrency 1 --mutate packages/safe-log/src/context.ts:1-30 && ${t}`,
    'merges the part reports that only a real part run writes (gitignored): a small logger part run first',
  ],
  [
    /./,
    /run-doc-commands\.mjs/,
    'not-run',
    null,
    'this runner itself (would run every command again)',
  ],
  [
    /./,
    /^node error$|^node --cpu-prof$/,
    'not-run',
    null,
    'prose: event names / a flag, not a command',
  ],
  [
    /^README\.md$/,
    /^node --conditions=@resil\/source --import tsx$/,
    'not-run',
    null,
    'prose: how the harness starts workers',
  ],
  [
    /^README\.md$/,
    /^npx jest$/,
    'run',
    null,
    '"inside the package folder": run in packages/breaker',
  ],
  [
    /^README\.md$/,
    /^RESIL_EXPRESS=4 npx jest$/,
    'run',
    null,
    '"in a package": run in packages/sanitize (an Express 4 suite)',
  ],
  [
    /./,
    /^(?:\S+=\S+ )*npm start$|npm install && npm start$/,
    'server',
    null,
    'the demo: probe /healthz on :3000',
  ],
  [/./, /^npm run registry$/, 'server', null, 'the mock registry alone: probe :3002/counters'],
  [
    /./,
    /^(?:npm run (?:demo:)?tour|curl .*)$/,
    'with-demo',
    null,
    'talks to a running demo (npm start)',
  ],
  [
    /./,
    /stryker run|^npm run test:mutation(?::(?:sanitize|idempotency|ratelimit|breaker))?$/,
    'stryker',
    (t) =>
      `${t.replace(/,\.\.\.$/, '').replace(/^npm run (test:mutation\S*)$/, 'npm run $1 --')} --dryRunOnly`,
    'dry run only: proves config and test run; `...` placeholder of --mutate dropped',
  ],
  [
    /./,
    /mutation-ci\.mjs|^npm run test:mutation:ci$/,
    'stryker',
    (t) => `${t.replace(/^npm run test:mutation:ci$/, 'npm run test:mutation:ci --')} --dryRunOnly`,
    'mutation-ci.mjs passes --dryRunOnly on to each Stryker run',
  ],
  [/./, /^npm run bench$/, 'bench', (t) => `${t} -- --quick`, 'full bench is ~4.5 min: --quick'],
  [
    /./,
    /npm run bench .*--only=|npx tsx src\/run\.ts/,
    'bench',
    (t) =>
      `${t.replace('--save=NAME', '--save=doc-commands')}${t.includes('--quick') ? '' : ' --quick'}`,
    'named cases, --quick (NAME: doc-commands)',
  ],
  [
    /./,
    /profile-http\.ts --seconds=10/,
    'bench',
    (t) => t.replace('--seconds=10', '--seconds=2'),
    '--seconds=2',
  ],
  [
    /./,
    /layer-cpu\.ts --rounds=3 --requests=6000/,
    'bench',
    (t) => t.replace('--rounds=3 --requests=6000', '--rounds=1 --requests=500'),
    '--rounds=1 --requests=500',
  ],
  [
    /./,
    /realistic\.ts .*--rounds=9 --ms=250/,
    'bench',
    (t) => t.replace('--rounds=9 --ms=250', '--rounds=1 --ms=50'),
    '--rounds=1 --ms=50',
  ],
  [
    /./,
    /bench\/(?:overhead\.mjs|hot-path\.cjs|redis-ab\.cjs|healthy-path\.ts)|metrics-exposition\.ts/,
    'bench',
    null,
    'no short option: run as written',
  ],
  [
    /./,
    /test:chaos -- .*--mutant/,
    'caught',
    (t) =>
      t
        .replace(' [--no-faults]', '')
        .replace(/--mutant (?:NAME|min-calls\\\|.*)$/, '--mutant min-calls'),
    'a chaos mutant must be caught (exit 1); NAME/alternatives: min-calls, [--no-faults] left out',
  ],
  [
    /./,
    /test:chaos -- .*--minutes \d+/,
    'chaos',
    (t) => t.replace(/--minutes \d+/, '--minutes 1'),
    '--minutes 1',
  ],
  [
    /./,
    /selftest\.ts \[--mutant\]/,
    'run',
    (t) => t.replace(' [--mutant]', ''),
    'optional [--mutant] left out',
  ],
  [/./, /^npm i @resil\//, 'registry', null, 'not published: npm pack + npm i <tarballs>'],
  [
    /./,
    /^npm i (?:zod|ajv)$/,
    'registry',
    null,
    "a user's own dependency: npm i in an empty project",
  ],
  [
    /./,
    /^npm run changeset$/,
    'run',
    (t) => `${t} -- --empty`,
    'interactive: --empty writes a changeset without prompts',
  ],
  [/./, /grep -l winston/, 'run', (t) => `! { ${t}; }`, '"finds nothing": grep must find no file'],
];
const rule = (file, text) => CLASSES.find(([f, c]) => f.test(file) && c.test(text));

// --- where a command runs ---
const pkgJson = (d) => {
  try {
    return JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
  } catch {
    return null;
  }
};
// "Other scripts (in this folder): `npm test`, `npm run build`, …": the README's folder, not the root
const IN_FOLDER = new Set(['apps/hospital-demo/README.md:80', 'apps/hospital-demo/README.md:81']);
function cwdOf(file, text, line) {
  const mdDir = path.dirname(path.join(clone, file));
  if (IN_FOLDER.has(`${file}:${line}`)) return mdDir;
  if (file === 'README.md' && /^(?:RESIL_EXPRESS=4 )?npx jest$/.test(text))
    return path.join(clone, text === 'npx jest' ? 'packages/breaker' : 'packages/sanitize');
  const body = text.replace(/^(?:[A-Z_][A-Z0-9_]*=\S*\s+)+/, '');
  if (/^(?:cd|curl|!)\s/.test(body)) return clone;
  if (/^npx jest\b/.test(body)) {
    // a path given from the root (`--config chaos/jest.config.cjs`) runs there, else the package's folder
    const rootPath = body
      .split(/\s+/)
      .some(
        (w) =>
          w.includes('/') &&
          fs.existsSync(path.join(clone, w)) &&
          !fs.existsSync(path.join(mdDir, w)),
      );
    return rootPath || !fs.existsSync(path.join(mdDir, 'package.json')) ? clone : mdDir;
  }
  const m = /^npm (?:run (\S+)|(test|start))/.exec(body);
  if (m && !/\s(?:-w|--workspace)[\s=]/.test(body)) {
    const script = m[1] ?? m[2];
    return script in (pkgJson(clone)?.scripts ?? {}) ? clone : mdDir;
  }
  const file1 = body
    .split(/\s+/)
    .find(
      (w, i, all) => /\.[cm]?[jt]s$/.test(w) && !/^(?:--import|--conditions)$/.test(all[i - 1]),
    );
  if (file1 && !fs.existsSync(path.join(clone, file1)) && fs.existsSync(path.join(mdDir, file1)))
    return mdDir;
  return clone;
}

// --- running ---
const sh = (cmd, cwd, env = {}) =>
  spawn('bash', ['-c', cmd], {
    cwd,
    env: { ...process.env, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
    }, 15_000);
    child.once('close', () => {
      clearTimeout(t);
      resolve();
    });
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      resolve();
    }
  });
}
/** Runs to completion (or the timeout): { code, tail }. */
function runToEnd(cmd, cwd, timeoutS, log) {
  return new Promise((resolve) => {
    const child = sh(cmd, cwd);
    let tail = '';
    const keep = (b) => {
      log.write(b);
      tail = (tail + b).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const t = setTimeout(() => {
      timedOut = true;
      stop(child);
    }, timeoutS * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(t);
      resolve({ code: timedOut ? 'timeout' : (code ?? signal), tail });
    });
  });
}
async function probe(url, untilS) {
  const end = Date.now() + untilS * 1000;
  while (Date.now() < end) {
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (r.status < 500) return r.status;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  return null;
}
/** `a && cd x && b`: each part in turn (cd moves), a part already run in that folder reuses its outcome. */
async function runParts(parts, cwd, timeoutS, log) {
  const reused = [];
  for (const part of parts) {
    const cd = /^cd (\S+)$/.exec(part);
    if (cd) {
      cwd = path.resolve(cwd, cd[1]);
      if (!fs.existsSync(cwd)) return { code: `cd ${cd[1]}: no such folder`, cwd };
      continue;
    }
    const key = `${cwd}|${part}`;
    if (partDone.has(key)) {
      log.write(`[${part}: ran before in this folder, exit ${partDone.get(key)}]\n`);
      if (partDone.get(key) !== 0) return { code: partDone.get(key), cwd };
      reused.push(`\`${part}\``);
      continue;
    }
    const out = await runToEnd(part, cwd, timeoutS, log);
    partDone.set(key, out.code);
    if (out.code !== 0) return { ...out, cwd };
  }
  return {
    code: 0,
    cwd,
    note: reused.length ? `${reused.join(', ')} passed earlier in this run` : '',
  };
}
/** Starts a server command, waits for `url`, optionally runs `then`, stops the server. */
async function withServer(cmd, cwd, url, log, then) {
  const child = sh(cmd, cwd);
  child.stdout.on('data', (b) => log.write(b));
  child.stderr.on('data', (b) => log.write(b));
  try {
    const status = await probe(url, 240);
    if (status === null) return { code: `no answer from ${url}` };
    log.write(`\n[probe ${url}: ${status}]\n`);
    return then ? await then() : { code: 0 };
  } finally {
    await stop(child);
  }
}
function portsFree() {
  const out = spawnSync('ss', ['-ltn'], { encoding: 'utf8' }).stdout ?? '';
  return ![':3000 ', ':3001 ', ':3002 ', ':9100 '].some((p) => out.includes(p));
}

async function registryInstall(text, log) {
  const names = text.split(/\s+/).slice(2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'resil-doc-i-'));
  const dirOf = new Map();
  for (const d of fs.readdirSync(path.join(clone, 'packages'))) {
    const pj = pkgJson(path.join(clone, 'packages', d));
    if (pj && !pj.private) dirOf.set(pj.name, path.join(clone, 'packages', d));
  }
  // the @resil packages named, and the @resil packages they depend on
  const ours = new Set();
  const add = (n) => {
    if (ours.has(n) || !dirOf.has(n)) return;
    ours.add(n);
    for (const dep of Object.keys(pkgJson(dirOf.get(n)).dependencies ?? {})) add(dep);
  };
  for (const n of names) add(n);
  const run = (c, a, cwd) => {
    const r = spawnSync(c, a, { cwd, encoding: 'utf8' });
    log.write(`$ ${c} ${a.join(' ')}\n${r.stdout}${r.stderr}`);
    if (r.status !== 0) throw new Error(`${c} ${a[0]}: exit ${r.status}`);
    return r.stdout;
  };
  try {
    const tarballs = [...ours].map((n) =>
      path.join(
        tmp,
        run('npm', ['pack', '--silent', '--pack-destination', tmp], dirOf.get(n))
          .trim()
          .split('\n')
          .pop(),
      ),
    );
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), '{"name":"doc-i","private":true}');
    const others = names.filter((n) => !dirOf.has(n));
    run('npm', ['i', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, ...others], app);
    for (const n of names) {
      run('node', ['-e', `require(${JSON.stringify(n)})`], app);
      run('node', ['--input-type=module', '-e', `await import(${JSON.stringify(n)})`], app);
    }
    return {
      code: 0,
      note: ours.size
        ? `packed ${[...ours].join(', ')}; require + import ok`
        : 'require + import ok',
    };
  } catch (e) {
    return { code: 1, note: e.message };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

// --- the commands, continuation lines joined ---
const commands = [];
for (const abs of markdownFiles(clone)) {
  const file = path.relative(clone, abs);
  const found = commandsOf(abs);
  for (let i = 0; i < found.length; i++) {
    let { line, text } = found[i];
    while (text.endsWith('\\') && found[i + 1]?.line === found[i].line + 1) {
      text = `${text.slice(0, -1).trim()} ${found[++i].text}`;
    }
    commands.push({ file, line, text });
  }
}

// --- the table (rewritten after each command, so that a run cut short still leaves its rows) ---
const ok = (r) => ['0', 'not run', 'listed', 'not selected', ''].includes(r.exit);
const esc = (s) => s.replaceAll('|', '\\|');
function writeTable(final) {
  const failed = rows.filter((r) => !ok(r));
  const unselected = rows.filter((r) => r.exit === 'not selected').length;
  const counts = {};
  for (const r of rows) counts[r.cls] = (counts[r.cls] ?? 0) + 1;
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: clone,
    encoding: 'utf8',
  }).stdout.trim();
  const lines = [
    `# README commands run on a clean clone (${final ? '' : 'IN PROGRESS, '}${new Date().toISOString().slice(0, 16)} UTC, commit ${head})`,
    '',
    `\`node scripts/run-doc-commands.mjs ${clone}${match ? ` --match=${match}` : ''}\`: ${rows.length} commands, ` +
      `${Object.entries(counts)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; **${failed.length} failed**` +
      `${unselected ? `, ${unselected} not selected (not run)` : ''}; ` +
      `${((Date.now() - started) / 60000).toFixed(1)} min. Logs: ${logDir}`,
    '',
    '| command | README | class | ran (if changed) | in | exit | s | note |',
    '| --- | --- | --- | --- | --- | --- | --: | --- |',
    ...rows
      .filter((r) => final || r.exit !== '')
      .map(
        (r) =>
          `| \`${esc(r.text)}\` | ${r.file}:${r.line} | ${r.cls} | ${r.ran === r.text ? '' : `\`${esc(r.ran)}\``} | ${r.cwd} | ${r.exit} | ${r.s} | ${esc(r.note)} |`,
      ),
    '',
  ];
  if (final) console.log(lines.join('\n'));
  if (!listOnly) {
    fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
    fs.writeFileSync(RESULTS, lines.join('\n'));
  }
  return failed.length;
}

// One dry run stands for another that differs only in --concurrency (a dry run is one test run)
// or names the same config through its npm script.
function sameRun(ran) {
  const scripts = pkgJson(clone)?.scripts ?? {};
  return ran
    .replace(/^npm run (test:mutation\S*) --/, (m, s) =>
      /^stryker run /.test(scripts[s] ?? '') ? `npx ${scripts[s]}` : m,
    )
    .replace(/ --concurrency \d+/, '');
}
// --resume: commands that passed in the last run (results/doc-commands.md, same class, folder and
// command) are not run again; their row says so.
const done = new Map();
const partDone = new Map(); // `${cwd}|${part}` -> exit
const resume = argv.find((a) => a === '--resume' || a.startsWith('--resume='));
for (const file of resume === undefined
  ? []
  : resume === '--resume'
    ? [RESULTS]
    : resume.slice(9).split(',')) {
  if (!fs.existsSync(file)) continue;
  const when = /clean clone \((?:IN PROGRESS, )?([^,]+),/.exec(fs.readFileSync(file, 'utf8'))?.[1];
  for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
    const cells = l.split(/(?<!\\)\|/).map((c) => c.trim().replaceAll('\\|', '|'));
    if (cells.length < 9 || cells[6] !== '0' || cells[1].startsWith('---')) continue;
    const text = cells[1].replace(/^`|`$/g, '');
    const ran = cells[4] ? cells[4].replace(/^`|`$/g, '') : text;
    const key = `${cells[3]}|${cells[5]}|${sameRun(ran)}`;
    if (done.has(key)) continue; // the first file given that has it (the original run, with its time)
    done.set(key, {
      exit: '0',
      s: cells[7],
      note: `passed in an earlier run on this clone (${path.basename(file)}, ${when})`,
    });
    // and its parts (`npm install && npm test` passed: `npm test` in that folder did too)
    let cwd = path.join(clone, cells[5]);
    for (const part of ran.split(' && ')) {
      const cd = /^cd (\S+)$/.exec(part);
      if (cd) cwd = path.resolve(cwd, cd[1]);
      else partDone.set(`${cwd}|${part}`, 0);
    }
  }
}
const logDir = listOnly ? '(none)' : fs.mkdtempSync(path.join(os.tmpdir(), 'doc-commands-'));
const rows = [];
const started = Date.now();
for (const [n, c] of commands.entries()) {
  const r = rule(c.file, c.text);
  const cls = r?.[2] ?? 'run';
  const change = r?.[3];
  const ran = typeof change === 'function' ? change(c.text) : c.text;
  const cwd = cwdOf(c.file, c.text, c.line);
  const row = {
    ...c,
    cls,
    ran,
    cwd: path.relative(clone, cwd) || '.',
    exit: '',
    s: '',
    note: r?.[4] ?? '',
  };
  rows.push(row);
  if (listOnly || cls === 'not-run') {
    row.exit = cls === 'not-run' ? 'not run' : 'listed';
    continue;
  }
  // an outcome already known (this run, or --resume) before --match: `--match=^$ --resume=A,B` merges tables
  const key = `${cls}|${row.cwd}|${sameRun(ran)}`;
  if (done.has(key)) {
    const prev = done.get(key);
    const as = prev.file ? `same run as ${prev.file}:${prev.line}` : prev.note;
    Object.assign(row, {
      exit: prev.exit,
      s: prev.file ? '0' : prev.s,
      note: [row.note, as].filter(Boolean).join('; '),
    });
    continue;
  }
  if (match && !new RegExp(match).test(`${c.file}:${c.line} ${c.text}`)) {
    row.exit = 'not selected';
    continue;
  }
  const log = fs.createWriteStream(path.join(logDir, `${String(n).padStart(3, '0')}.log`));
  log.write(`# ${c.file}:${c.line} [${cls}] in ${row.cwd}\n$ ${ran}\n`);
  process.stdout.write(
    `[${((Date.now() - started) / 1000).toFixed(0)} s] ${c.file}:${c.line} ${cls}: ${ran} ... `,
  );
  const t0 = Date.now();
  let out;
  const timeout = /^npm (?:install && )?test$/.test(ran)
    ? 5400
    : /^npm ci|stryker|test:mutation/.test(ran)
      ? 2400
      : 900;
  if (cls === 'server' || cls === 'with-demo') {
    if (!portsFree()) out = { code: 'ports 3000-3002/9100 busy' };
    else if (cls === 'server') {
      const parts = ran.split(' && ');
      const last = parts.pop();
      const pre = await runParts(parts, cwd, timeout, log);
      const url = /registry/.test(ran)
        ? 'http://127.0.0.1:3002/counters'
        : 'http://127.0.0.1:3000/healthz';
      out = pre.code !== 0 ? pre : await withServer(last, pre.cwd, url, log);
      if (out.code === 0 && /OPS_PORT=9100/.test(ran)) {
        out = await withServer(last, pre.cwd, 'http://127.0.0.1:9100/readyz', log);
      }
    } else {
      out = await withServer('npm start', clone, 'http://127.0.0.1:3000/healthz', log, () =>
        runToEnd(
          `${ran}${/^curl/.test(ran) ? ' -sS --fail-with-body --max-time 10' : ''}`,
          cwd,
          300,
          log,
        ),
      );
    }
  } else if (cls === 'registry') {
    out = await registryInstall(ran, log);
  } else {
    out = ran.startsWith('!')
      ? await runToEnd(ran, cwd, timeout, log)
      : await runParts(ran.split(' && '), cwd, timeout, log);
    if (cls === 'caught') out.code = out.code === 0 ? 'exit 0: mutant not caught' : 0;
  }
  log.end();
  row.exit = String(out.code);
  row.s = ((Date.now() - t0) / 1000).toFixed(0);
  const logFile = path.join(logDir, `${String(n).padStart(3, '0')}.log`);
  row.note = [row.note, out.note, out.code !== 0 && `log ${logFile}`].filter(Boolean).join('; ');
  done.set(key, row);
  console.log(`${row.exit} (${row.s} s)`);
  if (!listOnly) writeTable(false);
}
process.exit(writeTable(true) > 0 ? 1 : 0);
