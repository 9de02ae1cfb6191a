import http from 'node:http';
import { type DemoSession, readSession } from './session';
import type { TraceJson } from './tour-trace';

/** What the tour (src/tour.ts) uses: the running demo's URLs and keys, requests, and output. */

export interface StatusJson {
  worker: string;
  breakers: Array<{
    name: string;
    state: string;
    failures: number;
    failureThreshold: number;
    nextProbeInMs: number;
  }>;
  outbound: { limit: number; windowMs: number; usedInWindow: number; refused: number };
  retries: { total: number };
  policy: {
    retryMaxAttempts: number;
    breakerFailureThreshold: number;
    breakerResetTimeoutMs: number;
  };
}

type Count = { create: number; activate: number; get: number; delete: number };
export interface Counters {
  received: Count;
  executed: Count;
  replayed: number;
  rateLimited: number;
  faulted: number;
}

const tty = process.stdout.isTTY;
export const c = (code: number, s: string) => (tty ? `\u001b[${code}m${s}\u001b[0m` : s);
export const bold = (s: string) => c(1, s);
export const dim = (s: string) => c(2, s);
/** Expectations not met so far. */
export const tally = { failures: 0 };

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** What to look at on /status (the fleet table and the charts of the last 10 minutes) during a step. */
export function watch(what: string): void {
  say(c(36, `   watch /status: ${what}`));
}

export function check(what: string, ok: boolean, seen: string): void {
  if (!ok) tally.failures++;
  say(`   ${ok ? c(32, '✓') : c(31, '✗')} ${what}`);
  say(`     ${dim('seen:')} ${seen}`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The running demo, found as the README says; exits with a message when it is not there. */
export async function connect() {
  const serviceUrl = (
    process.env.SERVICE_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`
  ).replace(/\/+$/, '');
  const port = Number(new URL(serviceUrl).port || 80);
  // Absent, or not private to this user: the keys come from the environment then.
  const session: Partial<DemoSession> = readSession(port) ?? {};
  const apiKey = process.env.DEMO_API_KEY ?? session.apiKey;
  const adminKey = process.env.DEMO_ADMIN_KEY ?? session.adminKey;
  const control = (process.env.REGISTRY_CONTROL_URL ?? session.registryControlUrl)?.replace(
    /\/+$/,
    '',
  );

  say(bold(`hospital-demo tour against ${serviceUrl}`));
  try {
    const health = await fetch(`${serviceUrl}/healthz`);
    if (!health.ok) throw new Error(`HTTP ${health.status}`);
  } catch {
    say(`\nNo demo answers at ${serviceUrl}. Start it first, in another terminal:  npm start`);
    process.exit(1);
  }
  if (!apiKey || !control) {
    say(
      '\nThe tour needs the API key and the mock registry control URL. They are read from the session file that `npm start` writes;' +
        ' with your own API_KEYS or UPSTREAM_URL set DEMO_API_KEY (and DEMO_ADMIN_KEY) and REGISTRY_CONTROL_URL.',
    );
    process.exit(1);
  }

  // With OPS_PORT the operator endpoints have their own URL (OPS_URL, or the session's).
  const opsUrl = (process.env.OPS_URL ?? session.opsUrl ?? serviceUrl).replace(/\/+$/, '');
  const status = async (): Promise<StatusJson> =>
    (await (await fetch(`${opsUrl}/status.json`)).json()) as StatusJson;
  const counters = async (): Promise<Counters> =>
    (await (await fetch(`${control}/counters`)).json()) as Counters;
  const faults = async (patch: Record<string, unknown>) => {
    const res = await fetch(`${control}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
    if (!res.ok) throw new Error(`registry control answered ${res.status}`);
  };
  const create = async (key: string, name = 'St Mary Hospital', requestId?: string) => {
    const started = performance.now();
    const res = await fetch(`${serviceUrl}/hospitals`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'idempotency-key': key,
        'content-type': 'application/json',
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({ name, address: '1 Main Street, Springfield' }),
    });
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return {
      status: res.status,
      headers: res.headers,
      body,
      ms: Math.round(performance.now() - started),
    };
  };
  // Traces are kept by the worker that served the request. With WORKERS > 1, each new connection
  // goes to the next worker (the cluster's round robin), so ask on fresh connections until one
  // knows the request: at most 16 tries.
  const trace = async (requestId: string): Promise<TraceJson | undefined> => {
    const url = `${opsUrl}/traces/${encodeURIComponent(requestId)}`;
    for (let i = 0; i < 16; i++) {
      const r = await getOnFreshConnection(url);
      if (r.status === 200) return JSON.parse(r.body) as TraceJson;
      if (r.status !== 404) return undefined;
    }
    return undefined;
  };
  return { serviceUrl, opsUrl, adminKey, control, status, counters, faults, create, trace };
}

/** GET on a connection of its own (no keep-alive agent), so a cluster may route it elsewhere. */
function getOnFreshConnection(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}
