import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type DemoSession,
  ensurePrivateDir,
  isSessionDirError,
  readSession,
  sessionDir,
  sessionFile,
  writeSession,
} from '../../src/session';

/**
 * Issue #23 finding 3: the session file with the generated admin key sat at a predictable path in
 * the temp folder and kept the mode of a file an attacker had created first.
 */

const session: DemoSession = {
  serviceUrl: 'http://127.0.0.1:3000',
  apiKey: 'dev_secret',
  adminKey: 'adm_secret',
  pid: 1,
};
const mode = (p: string) => fs.lstatSync(p).mode & 0o777;

describe('session file', () => {
  let base: string;
  beforeEach(() => {
    base = fs.mkdtempSync(path.join(os.tmpdir(), 'demo-session-test-'));
  });
  afterEach(() => {
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('is written in a directory of its own, mode 0700, as a file of mode 0600', () => {
    const file = writeSession(session, 3000, { baseDir: base });
    expect(path.dirname(file)).toBe(sessionDir({ baseDir: base }));
    expect(path.dirname(file)).not.toBe(base);
    expect(mode(path.dirname(file))).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(readSession(3000, { baseDir: base })).toEqual(session);
  });

  it('replaces a file created at its path first instead of writing into it (its mode is not kept)', () => {
    const dir = sessionDir({ baseDir: base });
    ensurePrivateDir(dir);
    const planted = sessionFile(3000, { baseDir: base });
    fs.writeFileSync(planted, 'planted', { mode: 0o666 });
    fs.chmodSync(planted, 0o666);
    const fd = fs.openSync(planted, 'r'); // an attacker holding the planted file open
    try {
      const file = writeSession(session, 3000, { baseDir: base });
      expect(mode(file)).toBe(0o600);
      // What the holder of the planted file can read: not the session.
      expect(fs.readFileSync(fd, 'utf8')).toBe('planted');
    } finally {
      fs.closeSync(fd);
    }
  });

  it('does not follow a symlink planted at its path', () => {
    const dir = sessionDir({ baseDir: base });
    ensurePrivateDir(dir);
    const target = path.join(base, 'victim.txt');
    fs.writeFileSync(target, 'victim');
    fs.symlinkSync(target, sessionFile(3000, { baseDir: base }));
    const file = writeSession(session, 3000, { baseDir: base });
    expect(fs.lstatSync(file).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(target, 'utf8')).toBe('victim');
  });

  it('refuses a directory open to others, and writes nothing in it', () => {
    const dir = sessionDir({ baseDir: base });
    fs.mkdirSync(dir, { mode: 0o777 });
    fs.chmodSync(dir, 0o777);
    let caught: unknown;
    try {
      writeSession(session, 3000, { baseDir: base });
    } catch (err) {
      caught = err;
    }
    expect(isSessionDirError(caught)).toBe(true);
    expect((caught as Error).message).not.toContain(dir);
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(readSession(3000, { baseDir: base })).toBeUndefined();
  });

  it('refuses a symlink in place of the directory', () => {
    const elsewhere = fs.mkdtempSync(path.join(base, 'elsewhere-'));
    fs.chmodSync(elsewhere, 0o700);
    fs.symlinkSync(elsewhere, sessionDir({ baseDir: base }));
    expect(() => writeSession(session, 3000, { baseDir: base })).toThrow(
      expect.objectContaining({ code: 'RESIL_DEMO_SESSION_DIR_UNSAFE' }),
    );
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('reads nothing from a session file open to others', () => {
    const file = writeSession(session, 3000, { baseDir: base });
    fs.chmodSync(file, 0o644);
    expect(readSession(3000, { baseDir: base })).toBeUndefined();
  });

  it('defaults to a per-user directory under XDG_RUNTIME_DIR or the temp folder', () => {
    const uid = process.getuid?.() ?? 'user';
    const saved = process.env.XDG_RUNTIME_DIR;
    try {
      delete process.env.XDG_RUNTIME_DIR;
      expect(sessionDir()).toBe(path.join(os.tmpdir(), `hospital-demo-${uid}`));
      process.env.XDG_RUNTIME_DIR = base;
      expect(sessionDir()).toBe(path.join(base, `hospital-demo-${uid}`));
    } finally {
      if (saved === undefined) delete process.env.XDG_RUNTIME_DIR;
      else process.env.XDG_RUNTIME_DIR = saved;
    }
  });
});
