// Per-middleware CPU cost of the demo's POST /hospitals (bench case 9, subject `demo`):
//   (cd bench && npx tsx src/workers/profile-http.ts [--seconds=10])
// Starts a private redis-server, serves the demo stack in its own process with every layer wrapped
// in a named function (`layer_<name>`), loads it with autocannon (10 connections) and samples the
// server with the V8 CPU profiler (in-process, started after a warm-up, so start-up is not counted).
// Each sample is charged to the innermost `layer_*` frame on its stack (the layer and what it calls
// synchronously), or sooner to the layer whose package the frame is in (idempotency, rateLimit,
// requestLogger, validate: their Redis-reply continuations and response hooks run outside their
// wrapper), except Node writing the response and the router passing on to the next layer, which
// have rows of their own; what is left is charged by package (Express, ioredis, Node). Writes
// bench/results/http-profile.{md,json}: CPU µs per request for each layer, and the top functions by
// self time with their source file:line (through the packages' source maps).
// The profiled server runs with --no-turbo-inlining (else V8 inlines the wrappers away), which
// makes it somewhat slower overall: read the shares and the relative costs, not the absolute rate.
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRedisServer } from '@resil/testkit';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { loadFor, serveInChild } from '../cases/http-stack';
import { commandsByName } from '../redis';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Packages whose frames are charged to their layer wherever they run (inside another layer's
 * stack too: idempotency's res.end hook runs inside the handler's res.json, the log line inside
 * Node's 'finish' emit).
 */
const OWNED: Array<[RegExp, string]> = [
  [/\/packages\/idempotency\//, 'idempotency'],
  [/\/packages\/ratelimit\/|rate-limiter-flexible/, 'rateLimit'],
  [
    /\/packages\/safe-log\/|\/winston|\/logform\/|\/readable-stream\/|\/fecha\/|\/colors\/|safe-stable-stringify/,
    'requestLogger',
  ],
  [/express-validator|\/validator\//, 'validate'],
];
/** Where a frame outside every `layer_*` wrapper and every owned package belongs. */
const BY_URL: Array<[RegExp, string]> = [
  [/\/packages\/sanitize\//, 'sanitize package (outside a wrapper)'],
  [
    /\/ioredis\/|redis-parser|redis-errors|cluster-key-slot|denque|standard-as-callback/,
    'ioredis replies and writes outside a layer (rateLimit + idempotency)',
  ],
  [/\/packages\/core\//, '@resil/core outside a layer (Redis calls, telemetry, events)'],
  [/@opentelemetry/, 'OpenTelemetry API (no SDK installed)'],
  [
    /\/express\/|\/router\/|body-parser|raw-body|on-finished|finalhandler|send\/|content-type|type-is|iconv-lite|qs\/|path-to-regexp|depd|mime|accepts|negotiator|statuses|vary|etag|fresh|parseurl|encodeurl|escape-html|cookie|http-errors|media-typer|proxy-addr|range-parser|merge-descriptors|setprototypeof|debug\//,
    'Express 5 outside a layer (router, response)',
  ],
];

/** Node's functions that put the response on the socket (charged to no layer). */
const RESPONSE_WRITE = new Set([
  'writeHead',
  '_storeHeader',
  '_send',
  '_writeRaw',
  'end',
  '_flushOutput',
  '_finish',
]);
const ROUTER = /\/node_modules\/router\//;

function classify(frames: CallFrame[]): string {
  // innermost first: Node writing the response (inside res.end, whoever wrapped it), the router
  // passing on to the next layer, an owned package's frame, or a layer wrapper
  for (const f of frames) {
    if (/^node:_http_(outgoing|server)$/.test(f.url) && RESPONSE_WRITE.has(f.functionName))
      return 'Node http: writing the response (status line, headers, body)';
    if (ROUTER.test(f.url)) return 'Express 5 router: dispatch between layers';
    for (const [re, name] of OWNED) if (re.test(f.url)) return name;
    if (f.functionName.startsWith('layer_')) return f.functionName.slice(6);
  }
  for (const f of frames) {
    for (const [re, name] of BY_URL) if (re.test(f.url)) return name;
  }
  const leaf = frames[0]?.functionName ?? '';
  if (leaf === '(garbage collector)') return 'garbage collector';
  if (leaf === '(program)') return '(program: V8/native, not attributed)';
  return 'Node outside a layer (http parser, sockets, timers)';
}

const maps = new Map<string, SourceMap | undefined>();
function original(f: CallFrame): string {
  const short = (p: string) => p.replace(/^.*\/(packages|node_modules|bench)\//, '$1/');
  if (!f.url.startsWith('file://')) return `${f.url || '(native)'}:${f.lineNumber + 1}`;
  const file = fileURLToPath(f.url);
  if (!maps.has(file)) {
    let map: SourceMap | undefined;
    try {
      map = new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = undefined;
    }
    maps.set(file, map);
  }
  const entry = maps.get(file)?.findEntry(f.lineNumber, f.columnNumber) as
    | { originalSource?: string; originalLine?: number }
    | undefined;
  if (entry?.originalSource) {
    const src = entry.originalSource.startsWith('file://')
      ? fileURLToPath(entry.originalSource)
      : path.resolve(path.dirname(file), entry.originalSource);
    return `${short(src)}:${(entry.originalLine ?? 0) + 1}`;
  }
  return `${short(file)}:${f.lineNumber + 1}`;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv.find((a) => a.startsWith('--seconds='))?.slice(10) ?? '10');
  const server = await startRedisServer();
  const prefix = `bench-profile:${Date.now()}:`;
  const s = await serveInChild('demo', server.url, prefix, { profile: true });
  let requests = 0;
  let non2xx = 0;
  let profile: CpuProfile | undefined;
  let commands: Record<string, number> = {};
  const redis = new Redis(server.url);
  try {
    await autocannon(loadFor('demo', s.url, 2)); // warm-up, not profiled
    commands = await commandsByName(redis, async () => {
      profile = (await s.profile(async () => {
        const r = await autocannon(loadFor('demo', s.url, seconds));
        requests = r.requests.total;
        non2xx = r.non2xx;
      })) as CpuProfile;
    });
  } finally {
    redis.disconnect();
    await s.close();
    await server.stop();
  }
  const prof: CpuProfile | undefined = profile;
  if (!prof) throw new Error('no profile');
  if (process.env.BENCH_DUMP) fs.writeFileSync(process.env.BENCH_DUMP, JSON.stringify(prof));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const stackOf = (id: number): CallFrame[] => {
    const out: CallFrame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node) out.push(node.callFrame);
    }
    return out;
  };
  const perLayer = new Map<string, number>();
  const selfTime = new Map<string, { us: number; fn: string; at: string }>();
  let busy = 0;
  let idle = 0;
  prof.samples.forEach((id, i) => {
    const dt = prof.timeDeltas[i + 1] ?? prof.timeDeltas[i] ?? 0;
    const frames = stackOf(id);
    const leaf = frames[0];
    if (!leaf || leaf.functionName === '(idle)') {
      idle += dt;
      return;
    }
    busy += dt;
    const layer = classify(frames);
    perLayer.set(layer, (perLayer.get(layer) ?? 0) + dt);
    const key = `${leaf.functionName}@${leaf.url}:${leaf.lineNumber}:${leaf.columnNumber}`;
    const cur = selfTime.get(key);
    if (cur) cur.us += dt;
    else selfTime.set(key, { us: dt, fn: leaf.functionName || '(anonymous)', at: original(leaf) });
  });
  const rows = [...perLayer.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([layer, us]) => ({ layer, usPerRequest: us / requests, share: us / busy }));
  const top = [...selfTime.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, 25)
    .map((t) => ({ ...t, usPerRequest: t.us / requests, share: t.us / busy }));
  const fmt = (n: number) => (n >= 10 ? n.toFixed(1) : n.toFixed(2));
  const md = [
    "# Per-middleware CPU cost of the demo's POST /hospitals",
    '',
    `${new Date().toISOString()}; Node ${process.version}; ${requests} requests in ${seconds} s (${non2xx} non-2xx), server busy ${fmt(busy / 1e6)} s, idle ${fmt(idle / 1e6)} s of CPU-profiled time. Repeat: \`cd bench && npx tsx src/workers/profile-http.ts --seconds=10\`.`,
    '',
    'CPU time of the server process per request, by layer: a layer includes what it calls synchronously (except the router passing on to the next layer, and Node writing the response: rows of their own; the `handler` row is `res.json`: serialising and the ETag) and, for idempotency, rateLimit, requestLogger and validate, everything run in their package (Redis-reply continuations, response hooks, the log line). The server runs with `--no-turbo-inlining` so that the layer wrappers stay visible: read shares and relative costs; the absolute µs are higher than in the unprofiled bench.',
    '',
    '| layer | CPU µs per request | share of server CPU |',
    '|---|---:|---:|',
    ...rows.map((r) => `| ${r.layer} | ${fmt(r.usPerRequest)} | ${(r.share * 100).toFixed(1)} % |`),
    `| **total** | **${fmt(busy / requests)}** | 100 % |`,
    '',
    "## Redis commands per request (the private redis-server's commandstats)",
    '',
    '| command | per request |',
    '|---|---:|',
    ...Object.entries(commands)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `| ${c} | ${(n / requests).toFixed(2)} |`),
    '',
    '## Top functions by self time',
    '',
    '| function | source | CPU µs per request | share |',
    '|---|---|---:|---:|',
    ...top.map(
      (t) => `| ${t.fn} | ${t.at} | ${fmt(t.usPerRequest)} | ${(t.share * 100).toFixed(1)} % |`,
    ),
    '',
  ].join('\n');
  const dir = path.join(import.meta.dirname, '..', '..', 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'http-profile.md'), md);
  fs.writeFileSync(
    path.join(dir, 'http-profile.json'),
    `${JSON.stringify({ node: process.version, requests, seconds, busyUs: busy, rows, commands, top }, null, 2)}\n`,
  );
  process.stdout.write(`${md}\n(results in bench/results/http-profile.{md,json})\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`profile failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
