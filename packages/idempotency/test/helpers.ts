// Test helpers shared by the unit suites (flow.test, contract.test) and the integration suites:
// an app around the middleware, a POST with a key, a direct call of the middleware (for fake
// clocks), a stand-in Redis client that answers the store's scripts, and loggers that record.
import http from 'node:http';
import type { Logger } from '@resil/core';
import express from 'express';
import request from 'supertest';
import { type IdempotencyOptions, idempotency, idempotencyKeyFor } from '../src';
import { CLAIM, COMPLETE, RELEASE, RENEW } from '../src/scripts';

/**
 * An app with the middleware (logger off unless given) on every method of `/h`; by default the
 * handler counts its runs and answers 201 `{ run, upstream }`.
 */
export function appWith(options: IdempotencyOptions = {}, handler?: express.RequestHandler) {
  const runs = { n: 0 };
  const a = express();
  a.use(express.json());
  const mw = idempotency({ logger: false, ...options });
  a.use(mw);
  a.all(
    '/h',
    handler ??
      ((req, res) => {
        runs.n++;
        res.status(201).json({ run: runs.n, upstream: idempotencyKeyFor(req) ?? null });
      }),
  );
  return { app: a, runs, mw };
}

/** POST /h with the key (none when undefined) and a JSON body. */
export const post = (a: express.Express, key?: string, body: object = {}) => {
  const r = request(a).post('/h');
  return (key === undefined ? r : r.set('Idempotency-Key', key)).send(body);
};

/** A full Logger whose warn() goes to `warn` (the other levels drop). */
export function warnLogger(
  warn: (message: string, meta?: Record<string, unknown>) => void,
): Logger {
  return { debug() {}, info() {}, warn, error() {} };
}

/** A logger whose warn() lines are kept and can be awaited (`next()`). */
export function recorder() {
  const lines: Array<[string, unknown]> = [];
  let notify: () => void = () => {};
  let next = new Promise<void>((r) => {
    notify = r;
  });
  return {
    lines,
    logger: warnLogger((m, meta) => {
      lines.push([m, meta]);
      notify();
      next = new Promise<void>((r) => {
        notify = r;
      });
    }),
    next: () => next,
  };
}

/** Calls the middleware directly (no HTTP), for fake clocks. `done` settles when it returns. */
export function callMiddleware(
  mw: ReturnType<typeof idempotency>,
  key: string,
  over: { headers?: Record<string, string>; readableEnded?: boolean; body?: unknown } = {},
) {
  const headers: Record<string, string> = { 'idempotency-key': key, ...over.headers };
  const out = { status: 0, next: false, headers: {} as Record<string, unknown>, answered: false };
  const res = {
    statusCode: 200,
    headersSent: false,
    setHeader(n: string, v: unknown) {
      out.headers[n.toLowerCase()] = v;
    },
    getHeaders: () => ({}),
    status(s: number) {
      res.statusCode = s;
      return res;
    },
    writeHead() {},
    write: () => true,
    end() {
      out.answered = true;
      out.status = res.statusCode;
    },
  };
  const req = {
    method: 'POST',
    headers,
    get: (n: string) => headers[n.toLowerCase()],
    readableEnded: over.readableEnded ?? true,
    body: 'body' in over ? over.body : {},
    ip: '1',
    originalUrl: '/h',
    baseUrl: '',
    path: '/h',
  };
  const done = mw(req as never, res as never, () => {
    out.next = true;
  }) as unknown as Promise<void>;
  return { out, res, done };
}

type Reply = unknown | ((args: unknown[]) => unknown);
type ScriptName = 'claim' | 'complete' | 'renew' | 'release';
const SCRIPTS = new Map<string, ScriptName>([
  [CLAIM.sha, 'claim'],
  [COMPLETE.sha, 'complete'],
  [RENEW.sha, 'renew'],
  [RELEASE.sha, 'release'],
]);

/**
 * A stand-in ioredis client: each script (sent as EVALSHA, by its SHA) answers what `replies`
 * says (a value, an Error to reject with, or a function of the arguments `[key, ...argv]`).
 * `calls` records the arguments of each script, the WAITs and the pipelines.
 */
export function fakeRedis(
  replies: Partial<Record<ScriptName, Reply>> & {
    /** replicas acknowledging each pipelined WAIT, in order */
    acks?: number[];
    /** the connection status @default 'ready' */
    status?: string;
  } = {},
) {
  const calls = {
    claim: [] as unknown[][],
    complete: [] as unknown[][],
    renew: [] as unknown[][],
    release: [] as unknown[][],
    wait: [] as unknown[][],
    pipelines: 0,
  };
  const defaults: Record<ScriptName, unknown> = {
    claim: ['claimed'],
    complete: 1,
    renew: 1,
    release: 1,
  };
  const evalsha = async (sha: unknown, _n: unknown, ...a: unknown[]) => {
    const name = SCRIPTS.get(String(sha));
    if (!name) throw new Error('fakeRedis: unknown script');
    calls[name].push(a);
    const r = replies[name];
    const v = typeof r === 'function' ? (r as (x: unknown[]) => unknown)(a) : (r ?? defaults[name]);
    return v instanceof Error ? Promise.reject(v) : v;
  };
  const acks = [...(replies.acks ?? [])];
  const client = {
    status: replies.status ?? 'ready',
    evalsha,
    eval: async () => {
      throw new Error('fakeRedis: EVAL not expected (EVALSHA never answers NOSCRIPT)');
    },
    on() {},
    off() {},
    quit: async () => 'OK',
    disconnect() {},
    pipeline() {
      calls.pipelines++;
      const ops: Array<() => Promise<unknown>> = [];
      return {
        evalsha: (...a: unknown[]) => ops.push(() => evalsha(...(a as [unknown, unknown]))),
        wait: (...a: unknown[]) => {
          calls.wait.push(a);
          ops.push(async () => acks.shift() ?? 0);
        },
        exec: async () => {
          const out: Array<[Error | null, unknown]> = [];
          for (const op of ops)
            try {
              out.push([null, await op()]);
            } catch (err) {
              out.push([err as Error, null]);
            }
          return out;
        },
      };
    },
  };
  return { client, calls };
}

/** An error reply of a Redis that works (a script's own error): rejected as it is, no back-off. */
export function replyError(message: string): Error {
  const e = new Error(message);
  e.name = 'ReplyError';
  return e;
}

/** A promise and the function that resolves it (a gate a handler waits on, a "handler entered" signal). */
export function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export interface HttpAnswer {
  status: number;
  body: string;
  replayed: boolean;
}

/**
 * A JSON POST over a real HTTP connection (no agent): `promise` resolves with the status, body
 * and whether it was a replay; `destroy(err)` gives up on it, as a client time-out does.
 */
export function httpPost(port: number, path: string, key: string, body: unknown) {
  const data = JSON.stringify(body);
  let req: http.ClientRequest | undefined;
  const promise = new Promise<HttpAnswer>((resolve, reject) => {
    req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(data),
          'idempotency-key': key,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text,
            replayed: res.headers['idempotent-replayed'] === 'true',
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
  return { promise, destroy: (err = new Error('client gave up')) => req?.destroy(err) };
}
