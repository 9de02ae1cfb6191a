// Tests of the ReDoS gate: node --test scripts/redos-gate.test.mjs
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findRegexes, readAllowList } from './redos-gate.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const gate = path.join(here, 'redos-gate.mjs');
const fixtures = path.join(here, 'fixtures', 'redos');
const VULNERABLE = path.join(fixtures, 'vulnerable');
const SAFE = path.join(fixtures, 'safe');
const FILE = 'packages/demo/src/parse.ts';

function run(root, allowEntries) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redos-gate-'));
  const allow = path.join(dir, 'allow.json');
  if (allowEntries !== undefined)
    fs.writeFileSync(
      allow,
      typeof allowEntries === 'string' ? allowEntries : JSON.stringify(allowEntries),
    );
  try {
    const r = spawnSync(
      process.execPath,
      [gate, '--root', root, '--allow', allow, '--timeout', '20000'],
      {
        encoding: 'utf8',
      },
    );
    return { code: r.status, out: r.stdout + r.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('redos-gate', () => {
  it('fails on a vulnerable pattern and names its file, line and source', () => {
    const { code, out } = run(VULNERABLE);
    assert.equal(code, 1, out);
    assert.match(
      out,
      /FAIL packages\/demo\/src\/parse\.ts:2 \/\^\(a\+\)\+\$\/: vulnerable \(exponential/,
    );
  });

  it('passes on safe patterns (literal and new RegExp with a constant source)', () => {
    const { code, out } = run(SAFE);
    assert.equal(code, 0, out);
    assert.match(out, /packages\/demo: 2 found, 0 failing, 0 allowed/);
  });

  it('passes a vulnerable pattern allow-listed for its file and source with a reason', () => {
    const { code, out } = run(VULNERABLE, [
      { file: FILE, pattern: '^(a+)+$', reason: 'input is at most 8 characters (checked above)' },
    ]);
    assert.equal(code, 0, out);
    assert.match(out, /ALLOWED .*input is at most 8 characters/);
  });

  it('an allow-list entry for another file or another source does not excuse the pattern, and is stale', () => {
    for (const entry of [
      { file: 'packages/demo/src/other.ts', pattern: '^(a+)+$', reason: 'r' },
      { file: FILE, pattern: '^(a+)*$', reason: 'r' },
      { file: FILE, pattern: '^(a+)+$', flags: 'g', reason: 'r' },
    ]) {
      const { code, out } = run(VULNERABLE, [entry]);
      assert.equal(code, 1, out);
      assert.match(out, /FAIL /);
      assert.match(out, /STALE allow-list entry/);
    }
  });

  it('a stale entry fails even when every pattern is safe', () => {
    const { code, out } = run(SAFE, [{ file: FILE, pattern: 'gone', reason: 'was rewritten' }]);
    assert.equal(code, 1, out);
    assert.match(out, /STALE/);
  });

  it('refuses an allow-list entry without a reason, or malformed (exit 2)', () => {
    for (const list of [
      [{ file: FILE, pattern: '^(a+)+$' }],
      [{ file: FILE, pattern: '^(a+)+$', reason: '   ' }],
      [{ file: FILE, pattern: '^(a+)+$', reason: 'ok', extra: 1 }],
      { file: FILE },
      'not json',
    ]) {
      const { code, out } = run(VULNERABLE, list);
      assert.equal(code, 2, out);
    }
  });
});

describe('findRegexes', () => {
  it('finds literals, RegExp calls with constant sources, and flags RegExps built at run time', () => {
    const text = [
      "const a = /x+y/gi; // a literal, not '/not/' in a string",
      "const b = new RegExp('a' + `b`, 'm');",
      'const c = RegExp("c");',
      'const d = new RegExp(/lit/, "g");',
      'const e = new RegExp(/again/);',
      'const f = new RegExp(parts.join("|"), "g");',
      'const g = new globalThis.RegExp(`t`, flags);',
      'const s = "/not a regex/"; const h = 1 / 2 / 3;',
    ].join('\n');
    const found = findRegexes('x.ts', text).map(({ line, source, flags, dynamic }) => ({
      line,
      source,
      flags,
      dynamic,
    }));
    assert.deepEqual(found, [
      { line: 1, source: 'x+y', flags: 'gi', dynamic: false },
      { line: 2, source: 'ab', flags: 'm', dynamic: false },
      { line: 3, source: 'c', flags: '', dynamic: false },
      { line: 4, source: 'lit', flags: 'g', dynamic: false }, // the call, with its flags
      { line: 4, source: 'lit', flags: '', dynamic: false }, // the literal inside it
      { line: 5, source: 'again', flags: '', dynamic: false },
      { line: 6, source: 'new RegExp(parts.join("|"), "g")', flags: '', dynamic: true },
      { line: 7, source: 'new globalThis.RegExp(`t`, flags)', flags: '', dynamic: true },
    ]);
  });

  it('reads an absent allow-list as empty', () => {
    assert.deepEqual(readAllowList(path.join(os.tmpdir(), 'no-such-redos-allow.json')), []);
  });
});
