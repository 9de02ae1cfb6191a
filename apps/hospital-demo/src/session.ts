import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** What `npm start` leaves for the tour: the URLs and the keys it generated (file mode 0600). */
export interface DemoSession {
  serviceUrl: string;
  /** Where /status.json and /metrics are served when OPS_PORT is set. */
  opsUrl?: string;
  apiKey?: string;
  adminKey?: string;
  registryControlUrl?: string;
  pid: number;
}

/** The session directory exists but is not private to this user: nothing is written or read. */
export class SessionDirError extends Error {
  readonly code = 'RESIL_DEMO_SESSION_DIR_UNSAFE';
  constructor(reason: string) {
    super(`session directory refused: ${reason}`);
    this.name = 'SessionDirError';
  }
}

export function isSessionDirError(err: unknown): err is SessionDirError {
  return (err as { code?: unknown } | null)?.code === 'RESIL_DEMO_SESSION_DIR_UNSAFE';
}

export interface SessionLocation {
  /**
   * Where the private directory is made. @default `$XDG_RUNTIME_DIR` when set (a per-user
   * directory), else the system temp folder
   */
  baseDir?: string;
}

const uid = (): number | undefined => process.getuid?.();

/**
 * The private directory of this user's demo sessions: `<baseDir>/hospital-demo-<uid>`. Its name
 * is predictable, its use is not trusted: see `ensurePrivateDir`.
 */
export function sessionDir(location: SessionLocation = {}): string {
  const base = location.baseDir ?? process.env.XDG_RUNTIME_DIR ?? os.tmpdir();
  return path.join(base, `hospital-demo-${uid() ?? 'user'}`);
}

/** Where the running demo on `port` writes its session (deleted when it exits). */
export function sessionFile(port: number, location: SessionLocation = {}): string {
  return path.join(sessionDir(location), `session-${port}.json`);
}

/**
 * Makes the directory (mode 0700) or accepts an existing one only when it is a real directory
 * (not a symlink), owned by this user, with no access for group or others. Anything else throws
 * SessionDirError: another user may have made it first, to read or plant what goes in it.
 */
export function ensurePrivateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  checkPrivateDir(dir);
}

function checkPrivateDir(dir: string): void {
  const st = fs.lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new SessionDirError('not a directory');
  const me = uid();
  if (me === undefined) return; // Windows: the temp folder is per user already
  if (st.uid !== me) throw new SessionDirError('owned by another user');
  if ((st.mode & 0o077) !== 0) throw new SessionDirError('open to group or others');
}

/**
 * Writes the session for `port` into the private directory: any file already at that path
 * (left by a crash, or a symlink) is removed, and the new one is created exclusively (O_EXCL,
 * which also refuses to follow a symlink) with mode 0600. Returns its path.
 */
export function writeSession(
  session: DemoSession,
  port: number,
  location: SessionLocation = {},
): string {
  const dir = sessionDir(location);
  ensurePrivateDir(dir);
  const file = sessionFile(port, location);
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.fchmodSync(fd, 0o600);
    fs.writeFileSync(fd, JSON.stringify(session));
  } finally {
    fs.closeSync(fd);
  }
  return file;
}

/**
 * Reads the session for `port`, or undefined when there is none or the directory or file is not
 * private to this user (the tour then asks for the keys in the environment).
 */
export function readSession(port: number, location: SessionLocation = {}): DemoSession | undefined {
  try {
    checkPrivateDir(sessionDir(location));
    const file = sessionFile(port, location);
    const st = fs.lstatSync(file);
    const me = uid();
    if (!st.isFile()) return undefined;
    if (me !== undefined && (st.uid !== me || (st.mode & 0o077) !== 0)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as DemoSession;
  } catch {
    return undefined;
  }
}
