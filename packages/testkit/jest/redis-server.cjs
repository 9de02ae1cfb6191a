// Plain CommonJS so Jest's globalSetup can load it without a transform.
// Finds a Redis for the tests: REDIS_URL, else 127.0.0.1:6379, else a redis-server started here.
const net = require('node:net');
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** Sends PING (after AUTH when the URL has a password); resolves true on +PONG. */
function ping(url, timeoutMs = 1000) {
  return new Promise((resolve) => {
    let u;
    try {
      u = new URL(url);
    } catch {
      resolve(false);
      return;
    }
    const socket = net.connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) });
    let buf = '';
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => {
      let cmd = '';
      if (u.password) {
        const user = decodeURIComponent(u.username || 'default');
        const pass = decodeURIComponent(u.password);
        cmd += `AUTH ${user} ${pass}\r\n`;
      }
      socket.write(`${cmd}PING\r\n`);
    });
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('+PONG')) done(true);
      else if (buf.includes('-')) done(false);
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function hasRedisServer() {
  const r = spawnSync('redis-server', ['--version'], { stdio: 'ignore' });
  return r.status === 0;
}

/**
 * Starts a throw-away redis-server on a free loopback port (no persistence).
 * @param {{ port?: number, args?: string[] }} [opts]
 * @returns {Promise<{ url: string, port: number, pid: number, dir: string, stop(): Promise<void> }>}
 */
async function startRedisServer(opts = {}) {
  if (!hasRedisServer()) {
    throw new Error(
      'redis-server is not installed. Install Redis 7 (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_URL to a Redis you can use for tests.',
    );
  }
  const port = opts.port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resil-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      ...(opts.args ?? []),
    ],
    { stdio: 'ignore', detached: false },
  );
  const url = `redis://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  while (!(await ping(url, 200))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url,
    port,
    pid: child.pid,
    dir,
    child,
    stop: () =>
      new Promise((resolve) => {
        if (exited) {
          resolve();
          return;
        }
        child.once('exit', () => {
          fs.rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGKILL');
      }),
  };
}

module.exports = { DEFAULT_URL, ping, freePort, hasRedisServer, startRedisServer };
