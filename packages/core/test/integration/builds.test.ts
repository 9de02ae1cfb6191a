import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'tsup';
import config from '../../tsup.config';

// The CommonJS and ES module builds, made by tsup with the package's own config into a folder
// with no node_modules above it: the optional peers (@opentelemetry/api, ioredis) are absent.
const pkg = path.join(__dirname, '..', '..');
const rootModules = path.join(pkg, '..', '..', 'node_modules');
let out: string;

beforeAll(async () => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'resil-core-build-'));
  const base = Array.isArray(config) ? config[0] : config;
  await build({
    ...(base as object),
    entry: [path.join(pkg, 'src', 'index.ts')],
    outDir: out,
    dts: false,
    sourcemap: false,
    clean: false,
    silent: true,
    config: false,
    tsconfig: path.join(pkg, 'tsconfig.json'),
  });
}, 120_000);
afterAll(() => {
  fs.rmSync(out, { recursive: true, force: true });
});

const probe = (load: string) => `
${load}
const t = core.createTelemetry({ strategy: 'retry' });
t.event('OnRetry'); t.attempt(1, { attempt: 1, handled: true }); t.execution(1);
t.setResendCount(1);
let ioredis = 'none';
try { new core.ClientPool().acquire('redis://127.0.0.1:1').client.disconnect(); } catch (e) { ioredis = e.constructor.name + ': ' + e.message; }
let nodeRedis = 'none';
try { const c = core.nodeRedisClients()('redis://127.0.0.1:1'); nodeRedis = core.isNodeRedisClient(c) ? 'client' : 'other'; c.destroy(); } catch (e) { nodeRedis = e.constructor.name + ': ' + e.message; }
console.log(JSON.stringify({ exports: Object.keys(core).length, available: core.isTelemetryAvailable(), enabled: t.enabled, ioredis, nodeRedis, recorded: globalThis.recorded ?? null }));
`;

const cjs = (file: string) => `const core = require(${JSON.stringify(file)});`;
const esm = (file: string) => `const core = await import(${JSON.stringify(file)});`;

function run(kind: 'cjs' | 'esm', body: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(out, kind === 'cjs' ? 'probe.cjs' : 'probe.mjs');
  fs.writeFileSync(file, body);
  const stdout = execFileSync(process.execPath, [file], {
    cwd: out,
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return JSON.parse(stdout.trim().split('\n').pop() as string);
}

describe('the published builds', () => {
  it.each([
    ['cjs', cjs],
    ['esm', esm],
  ] as const)(
    '%s: load and run as a no-op without @opentelemetry/api, ioredis or redis installed',
    (kind, load) => {
      const file = path.join(out, kind === 'cjs' ? 'index.js' : 'index.mjs');
      expect(fs.existsSync(path.join(out, 'node_modules'))).toBe(false);
      const r = run(kind, probe(load(file)));
      expect(r.exports).toBeGreaterThan(30);
      expect(r.available).toBe(false);
      expect(r.enabled).toBe(false);
      expect(r.ioredis).toBe(
        'TypeError: redis: a URL needs the ioredis package (npm install ioredis), or pass a client',
      );
      expect(r.nodeRedis).toBe(
        'TypeError: nodeRedisClients: the redis package is not installed (npm install redis), or pass a client',
      );
    },
  );

  it.each([
    ['cjs', cjs],
    ['esm', esm],
  ] as const)('%s: record through @opentelemetry/api when it is installed', (kind, load) => {
    const file = path.join(out, kind === 'cjs' ? 'index.js' : 'index.mjs');
    const register = `
const { createRequire } = require('node:module');
const api = createRequire(${JSON.stringify(path.join(out, 'x.js'))})('@opentelemetry/api');
globalThis.recorded = [];
const make = (name) => ({ add: () => globalThis.recorded.push(name), record: () => globalThis.recorded.push(name) });
api.metrics.setGlobalMeterProvider({ getMeter: () => ({ createCounter: make, createHistogram: make }) });
`;
    const body =
      kind === 'cjs'
        ? register + probe(load(file))
        : `import { createRequire as cr } from 'node:module'; const require = cr(import.meta.url);\n${register}${probe(load(file))}`;
    // NODE_PATH makes the repository's node_modules visible to require() only: as installed.
    const r = run(kind, body, { NODE_PATH: rootModules });
    expect(r.available).toBe(true);
    expect(r.enabled).toBe(true);
    expect(r.recorded).toEqual([
      'resilience.strategy.events',
      'resilience.strategy.attempt.duration',
      'resilience.pipeline.duration',
    ]);
    expect(r.ioredis).toBe('none');
    expect(r.nodeRedis).toBe('client'); // node-redis loaded from the application's own install
  });
});
