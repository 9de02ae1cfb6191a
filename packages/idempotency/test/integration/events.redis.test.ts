// Outcome events of the middleware (issue #18 contract), each with a real Redis: executed,
// replayed, conflict, mismatch (shared test Redis, this file's prefix) and store-error (a
// redis-server of this file's own, stopped). Every event is also counted through OpenTelemetry
// (`resilience.strategy.events`, `event.name`). Payloads carry no key and no body.

import { metrics } from '@opentelemetry/api';
import { CORE_ERROR_CODES, type Disposable } from '@resil/core';
import { startRedisServer, untilReady, useRedis } from '@resil/testkit';
import { type IdempotencyOptions, type OutcomeEvent, PROBLEM_SLUGS } from '../../src';
import { appWith, deferred, post } from '../helpers';

const r = useRedis('idempotency-events');

type Seen = Array<[string, OutcomeEvent]>;

/** Subscribes to all five events of a middleware, in one list. */
function listen(mw: ReturnType<typeof appWith>['mw']): { seen: Seen; subs: Disposable[] } {
  const seen: Seen = [];
  const subs = [
    mw.onExecuted((e) => seen.push(['executed', e])),
    mw.onReplayed((e) => seen.push(['replayed', e])),
    mw.onConflict((e) => seen.push(['conflict', e])),
    mw.onMismatch((e) => seen.push(['mismatch', e])),
    mw.onStoreError((e) => seen.push(['store-error', e])),
  ];
  return { seen, subs };
}

/** A MeterProvider that records every counter add (the OpenTelemetry API's global one). */
function recordingMeters() {
  const added: Array<{ name: string; attributes: Record<string, unknown> }> = [];
  const make = (name: string) => ({
    add: (_v: number, attributes: Record<string, unknown>) => added.push({ name, attributes }),
    record() {},
  });
  metrics.setGlobalMeterProvider({
    getMeter: () => ({ createCounter: make, createHistogram: make }),
  } as never);
  return added;
}

const KEY = 'patient-4711-key';
const SECRET = 'Jane Doe 1970-01-01';

/** No key, no body, no hashed key in anything an event carried. */
function expectNoInput(values: unknown[]) {
  const text = JSON.stringify(values);
  for (const needle of [KEY, SECRET, 'patient', 'Jane']) expect(text).not.toContain(needle);
  expect(text).not.toMatch(/[0-9a-f]{32}/); // no derived key either
}

afterEach(() => metrics.disable());

describe('outcome events (real Redis)', () => {
  const make = (options: IdempotencyOptions = {}, handler?: Parameters<typeof appWith>[1]) =>
    appWith({ redis: r.redis, keyPrefix: r.prefix, name: 'hospitals', ...options }, handler);

  it('executed, replayed, mismatch and conflict (in progress, response not kept): payloads { status, code? }, each counted by OpenTelemetry', async () => {
    const added = recordingMeters();
    const { promise: inHandler, resolve: entered } = deferred();
    const { promise: held, resolve: hold } = deferred();
    const { app, mw } = make({ maxBodyBytes: 20 }, async (req, res) => {
      if (req.body.hold) {
        entered();
        await held;
      }
      res.status(201).json(req.body.big ? { big: 'x'.repeat(100) } : { ok: true });
    });
    const { seen } = listen(mw);
    try {
      expect((await post(app, KEY, { name: SECRET })).status).toBe(201);
      expect((await post(app, KEY, { name: SECRET })).headers['idempotent-replayed']).toBe('true');
      expect((await post(app, KEY, { name: `${SECRET}!` })).status).toBe(422);
      const first = post(app, `${KEY}-2`, { hold: true, name: SECRET }).then((x) => x);
      await inHandler;
      expect((await post(app, `${KEY}-2`, { hold: true, name: SECRET })).status).toBe(409);
      hold();
      expect((await first).status).toBe(201);
      expect((await post(app, `${KEY}-3`, { big: true })).status).toBe(201);
      // the completion is written after the answer: wait until a repeat sees it done
      let last = 0;
      for (let i = 0; i < 200 && last !== 409; i++)
        last = (await post(app, `${KEY}-3`, { big: true })).status;
      expect(last).toBe(409);
      const distinct = seen.filter(
        ([name, e], i) =>
          seen.findIndex(([n, x]) => n === name && JSON.stringify(x) === JSON.stringify(e)) === i,
      );
      expect(distinct).toEqual([
        ['executed', { status: 201 }],
        ['replayed', { status: 201 }],
        ['mismatch', { status: 422 }],
        ['conflict', { status: 409, code: PROBLEM_SLUGS.IN_PROGRESS }],
        ['conflict', { status: 409, code: PROBLEM_SLUGS.NOT_REPLAYABLE }],
      ]);
      expect(seen.filter(([n]) => n === 'executed')).toHaveLength(3);
      for (const [, e] of seen)
        expect(Object.keys(e).every((k) => ['status', 'code'].includes(k))).toBe(true);
      expectNoInput(seen);
      // OpenTelemetry: one count per event, named as the contract says, with the pipeline name
      const counted = added.filter((a) => a.name === 'resilience.strategy.events');
      expect(counted.map((a) => a.attributes['event.name'])).toEqual(seen.map(([n]) => n));
      expect(counted[0]?.attributes).toMatchObject({
        'strategy.name': 'idempotency',
        'pipeline.name': 'hospitals',
        'event.name': 'executed',
        'http.response.status_code': 201,
      });
      expect(
        counted.find((a) => a.attributes['event.name'] === 'conflict')?.attributes,
      ).toMatchObject({
        'event.severity': 'warning',
        'error.type': PROBLEM_SLUGS.IN_PROGRESS,
      });
      expectNoInput(counted);
    } finally {
      await mw.close();
    }
  });

  it('store-error: { status: 503, code } with deny, { code } with allow (handler runs), counted as store-error', async () => {
    const server = await startRedisServer();
    const client = r.kind.single(server.url); // the kind RESIL_REDIS_CLIENT names
    const added = recordingMeters();
    const deny = appWith({ redis: client, commandTimeoutMs: 200 });
    const allow = appWith({ redis: client, commandTimeoutMs: 200, onStoreError: 'allow' });
    const denied = listen(deny.mw);
    const allowed = listen(allow.mw);
    try {
      await untilReady(client);
      await server.stop();
      expect((await post(deny.app, KEY, { name: SECRET })).status).toBe(503);
      expect((await post(allow.app, KEY, { name: SECRET })).status).toBe(201);
      expect(denied.seen).toHaveLength(1);
      expect(allowed.seen).toHaveLength(1);
      const [[name, e]] = denied.seen as [[string, OutcomeEvent]];
      expect(name).toBe('store-error');
      expect(e.status).toBe(503);
      expect([CORE_ERROR_CODES.REDIS_UNAVAILABLE, CORE_ERROR_CODES.REDIS_FAILED]).toContain(e.code);
      const [[name2, e2]] = allowed.seen as [[string, OutcomeEvent]];
      expect([name2, Object.keys(e2)]).toEqual(['store-error', ['code']]);
      expect(allow.runs.n).toBe(1);
      const counted = added.filter((a) => a.name === 'resilience.strategy.events');
      expect(counted.map((a) => a.attributes['event.name'])).toEqual([
        'store-error',
        'store-error',
      ]);
      expectNoInput([denied.seen, allowed.seen, counted]);
    } finally {
      await deny.mw.close();
      await allow.mw.close();
      await r.kind.quit(client);
      await server.stop();
    }
  });

  it('a disposed listener hears nothing more; a throwing listener changes no answer; close() is idempotent and drops the listeners', async () => {
    const { app, mw } = make();
    const heard: string[] = [];
    const sub = mw.onExecuted(() => heard.push('a'));
    mw.onExecuted(() => {
      throw new Error('listener failed');
    });
    mw.onReplayed(() => heard.push('replayed'));
    expect((await post(app, `${KEY}-d1`)).status).toBe(201);
    sub.dispose();
    expect((await post(app, `${KEY}-d2`)).status).toBe(201);
    expect((await post(app, `${KEY}-d2`)).headers['idempotent-replayed']).toBe('true');
    expect(heard).toEqual(['a', 'replayed']);
    const closing = mw.close();
    expect(mw[Symbol.asyncDispose]()).toBe(closing);
    await closing;
    expect((await post(app, `${KEY}-d3`)).status).toBe(503); // its store is closed
    expect(heard).toEqual(['a', 'replayed']);
  });
});
