#!/usr/bin/env node
// ReDoS gate: finds every regular expression in packages/*/src/**/*.ts and proves each one safe
// with recheck, or fails.
//
//   node scripts/redos-gate.mjs [--root DIR] [--allow FILE] [--timeout MS]
//
// Found with the TypeScript compiler API (never by grepping): regex literals (/.../flags), and
// `new RegExp(...)` / `RegExp(...)` calls. A call whose source is a string literal, a template
// without substitutions, a regex literal or a `+` chain of those is checked like a literal; any
// other source (built at run time) cannot be proven safe here and fails unless allow-listed.
//
// Each distinct (source, flags) is checked with recheck (`check(source, flags, { timeout })`,
// automaton or fuzz checker as recheck chooses). Only status "safe" passes: "vulnerable" fails, and
// so does "unknown" (timeout, unsupported syntax), because it is not proven safe.
//
// Allow-list (default scripts/redos-allow.json): a JSON array of
//   { "file": "packages/x/src/y.ts", "pattern": "<regex source>", "flags": "gi", "reason": "..." }
// `file` (relative to the root, with /) and `pattern` must match exactly; `flags` is optional (when
// given it must match too); `reason` is required and must not be blank. For a RegExp built at run
// time, `pattern` is the call's source text as written, e.g. "new RegExp(parts.join('|'), 'gi')".
// A malformed allow-list exits 2; an entry that matches nothing is reported as stale (exit 1), so
// the list cannot outlive the patterns it excuses.
//
// Exit codes: 0 every pattern safe or allowed; 1 at least one is not; 2 bad usage or allow-list.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ts = require('typescript');
const recheck = require('recheck');

const here = path.dirname(fileURLToPath(import.meta.url));

function usage(message) {
  console.error(`redos-gate: ${message}`);
  console.error('usage: node scripts/redos-gate.mjs [--root DIR] [--allow FILE] [--timeout MS]');
  process.exit(2);
}

function parseArgs(argv) {
  const out = {
    root: path.resolve(here, '..'),
    allow: undefined,
    timeoutMs: 10_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--root' && value) out.root = path.resolve(value);
    else if (arg === '--allow' && value) out.allow = path.resolve(value);
    else if (arg === '--timeout' && value) {
      out.timeoutMs = Number(value);
      if (!Number.isInteger(out.timeoutMs) || out.timeoutMs < 1)
        usage('--timeout must be a positive integer (ms)');
    } else usage(`unknown argument ${JSON.stringify(arg)}`);
    i++;
  }
  out.allow ??= path.join(out.root, 'scripts', 'redos-allow.json');
  return out;
}

/** packages/<name>/src/**\/*.ts under root, sorted, as paths relative to root with '/'. */
export function sourceFiles(root) {
  const packages = path.join(root, 'packages');
  if (!fs.existsSync(packages)) return [];
  const files = [];
  for (const pkg of fs.readdirSync(packages, { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const src = path.join(packages, pkg.name, 'src');
    if (!fs.existsSync(src)) continue;
    for (const rel of fs.readdirSync(src, { recursive: true })) {
      const name = String(rel);
      if (!name.endsWith('.ts') || name.split(path.sep).includes('node_modules')) continue;
      files.push(path.relative(root, path.join(src, name)).split(path.sep).join('/'));
    }
  }
  return files.sort();
}

/** The value of a constant string expression, or undefined when it is built at run time. */
function constantString(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isParenthesizedExpression(node)) return constantString(node.expression);
  if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
    const left = constantString(node.left);
    const right = constantString(node.right);
    return left === undefined || right === undefined ? undefined : left + right;
  }
  return undefined;
}

function splitLiteral(text) {
  const slash = text.lastIndexOf('/');
  return { source: text.slice(1, slash), flags: text.slice(slash + 1) };
}

function isRegExpCallee(node) {
  if (ts.isIdentifier(node)) return node.text === 'RegExp';
  return (
    ts.isPropertyAccessExpression(node) &&
    node.name.text === 'RegExp' &&
    ts.isIdentifier(node.expression) &&
    ['globalThis', 'window', 'global'].includes(node.expression.text)
  );
}

/**
 * Every regular expression in one TypeScript file: { file, line, source, flags, dynamic }.
 * `dynamic` is true for a RegExp built at run time (`source` is then the call's text).
 */
export function findRegexes(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = [];
  const at = (node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const visit = (node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      found.push({ file, line: at(node), ...splitLiteral(node.getText(sf)), dynamic: false });
    } else if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      isRegExpCallee(node.expression)
    ) {
      const [first, second] = node.arguments ?? [];
      const literal =
        first && first.kind === ts.SyntaxKind.RegularExpressionLiteral
          ? splitLiteral(first.getText(sf))
          : undefined;
      const source = literal ? literal.source : first ? constantString(first) : '';
      const flags = second === undefined ? (literal?.flags ?? '') : constantString(second);
      if (source === undefined || flags === undefined) {
        found.push({ file, line: at(node), source: node.getText(sf), flags: '', dynamic: true });
      } else if (!(literal && second === undefined)) {
        // new RegExp(/x/) alone repeats a literal that is already on the list
        found.push({ file, line: at(node), source, flags, dynamic: false });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Reads and validates the allow-list; throws an Error describing the first problem. */
export function readAllowList(file) {
  if (!fs.existsSync(file)) return [];
  let entries;
  try {
    entries = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not valid JSON (${err.message})`);
  }
  if (!Array.isArray(entries)) throw new Error(`${file}: must be a JSON array of entries`);
  entries.forEach((e, i) => {
    const where = `${file}: entry ${i}`;
    if (typeof e !== 'object' || e === null || Array.isArray(e))
      throw new Error(`${where} must be an object`);
    for (const key of Object.keys(e)) {
      if (!['file', 'pattern', 'flags', 'reason'].includes(key))
        throw new Error(`${where} has an unknown field "${key}"`);
    }
    if (typeof e.file !== 'string' || e.file === '')
      throw new Error(`${where} needs "file" (a path relative to the root)`);
    if (typeof e.pattern !== 'string' || e.pattern === '')
      throw new Error(`${where} needs "pattern" (the regex source)`);
    if (e.flags !== undefined && typeof e.flags !== 'string')
      throw new Error(`${where}: "flags" must be a string`);
    if (typeof e.reason !== 'string' || e.reason.trim() === '')
      throw new Error(`${where} needs a non-empty "reason"`);
  });
  return entries;
}

function allows(entry, r) {
  return (
    entry.file === r.file &&
    entry.pattern === r.source &&
    (entry.flags === undefined || entry.flags === r.flags)
  );
}

const short = (s, n = 100) => (s.length > n ? `${s.slice(0, n)}…` : s);
const shown = (r) => (r.dynamic ? r.source : `/${r.source}/${r.flags}`);

function explain(d) {
  if (d.status === 'vulnerable') {
    const attack = d.attack?.pattern ? `; attack: ${short(d.attack.pattern, 80)}` : '';
    return `vulnerable (${d.complexity?.summary ?? d.complexity?.type}, ${d.checker})${attack}`;
  }
  const kind = d.error?.kind ?? 'error';
  const message = d.error?.message ? `: ${short(d.error.message, 80)}` : '';
  return `not proven safe (${kind}${message})`;
}

// recheck's fuzz checker (used for lookarounds) stops an attack after a time limit by default, so on
// a loaded machine the same pattern could come out "vulnerable" on one run and "safe" on the next.
// With the time limits off and a fixed seed only its step limits decide: one verdict, every run.
const RECHECK_STEPS_ONLY = {
  attackTimeout: null,
  incubationTimeout: null,
  seedingTimeout: null,
  randomSeed: 0,
};

export async function runGate({ root, allow, timeoutMs }, log = console.log) {
  const allowList = readAllowList(allow);
  const used = new Set();
  const regexes = [];
  for (const file of sourceFiles(root)) {
    regexes.push(...findRegexes(file, fs.readFileSync(path.join(root, file), 'utf8')));
  }
  const cache = new Map();
  const failures = [];
  const allowed = [];
  for (const r of regexes) {
    let verdict;
    if (r.dynamic) verdict = { ok: false, why: 'built at run time: cannot be proven safe here' };
    else {
      const key = `${r.flags}\u0000${r.source}`;
      if (!cache.has(key))
        cache.set(
          key,
          await recheck.check(r.source, r.flags, { ...RECHECK_STEPS_ONLY, timeout: timeoutMs }),
        );
      const d = cache.get(key);
      verdict = d.status === 'safe' ? { ok: true } : { ok: false, why: explain(d) };
    }
    if (verdict.ok) continue;
    const entry = allowList.findIndex((e) => allows(e, r));
    if (entry >= 0) {
      used.add(entry);
      allowed.push({ ...r, why: verdict.why, reason: allowList[entry].reason });
    } else failures.push({ ...r, why: verdict.why });
  }
  const stale = allowList.filter((_, i) => !used.has(i));

  const byPackage = new Map();
  for (const r of regexes) {
    const pkg = r.file.split('/').slice(0, 2).join('/');
    const row = byPackage.get(pkg) ?? { total: 0, failing: 0, allowed: 0 };
    row.total++;
    byPackage.set(pkg, row);
  }
  for (const f of failures) byPackage.get(f.file.split('/').slice(0, 2).join('/')).failing++;
  for (const a of allowed) byPackage.get(a.file.split('/').slice(0, 2).join('/')).allowed++;

  log(`redos-gate: ${regexes.length} regular expressions in ${root}/packages/*/src`);
  for (const [pkg, row] of [...byPackage].sort()) {
    log(`  ${pkg}: ${row.total} found, ${row.failing} failing, ${row.allowed} allowed`);
  }
  for (const a of allowed) log(`ALLOWED ${a.file}:${a.line} ${short(shown(a))}: ${a.reason}`);
  for (const f of failures) log(`FAIL ${f.file}:${f.line} ${short(shown(f))}: ${f.why}`);
  for (const s of stale)
    log(`STALE allow-list entry (matches nothing): ${s.file} ${short(s.pattern)}`);
  const ok = failures.length === 0 && stale.length === 0;
  log(ok ? 'redos-gate: passed' : 'redos-gate: FAILED');
  return { ok, regexes, failures, allowed, stale };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseArgs(process.argv.slice(2));
  let result;
  try {
    result = await runGate(options);
  } catch (err) {
    console.error(`redos-gate: ${err.message}`);
    process.exit(2);
  }
  process.exit(result.ok ? 0 : 1);
}
