import { describeEachRedis } from '@resil/testkit';
import express from 'express';
import request from 'supertest';
import { rateLimit } from '../../src';

let seq = 0;

describeEachRedis('rateLimit: each limiter has its own budget', (target) => {
  const prefix = () => `${target.prefix}in${++seq}:`;

  it('a 100/min global limit and a 3/min login limit with the default policy name count apart (issue 16 #13: 429 on the first login)', async () => {
    const keyPrefix = prefix();
    const common = {
      redis: target.redis,
      keyPrefix,
      keyBy: () => 'one-client',
      logger: false as const,
      storeTimeoutMs: 5_000, // a loaded machine must not send a request to the insurance
    };
    const app = express();
    app.use(rateLimit({ points: 100, durationMs: 60_000, ...common }));
    app.post('/login', rateLimit({ points: 3, durationMs: 60_000, ...common }), (_req, res) => {
      res.send('in');
    });
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    for (let i = 0; i < 3; i++) expect((await request(app).get('/')).status).toBe(200);
    const logins: number[] = [];
    for (let i = 0; i < 4; i++) logins.push((await request(app).post('/login')).status);
    expect(logins).toEqual([200, 200, 200, 429]);
    // the global budget counted all 7 requests: 100 - 7 left
    const r = await request(app).get('/');
    expect(r.headers.ratelimit).toMatch(/^"default";r=92;/);
  });

  it('the key is derived from policyName, points and durationMs: limiters that agree on all three share one budget (as the workers of one service do)', async () => {
    const keyPrefix = prefix();
    const common = {
      redis: target.redis,
      keyPrefix,
      keyBy: () => 'one-client',
      logger: false as const,
      storeTimeoutMs: 5_000, // a loaded machine must not send a request to the insurance
    };
    const a = rateLimit({ points: 2, durationMs: 60_000, ...common });
    const b = rateLimit({ points: 2, durationMs: 60_000, ...common });
    const c = rateLimit({ points: 2, durationMs: 60_000, policyName: 'export', ...common });
    const d = rateLimit({ points: 2, durationMs: 120_000, ...common });
    const statuses: Record<string, number[]> = { a: [], b: [], c: [], d: [] };
    const hit = async (mw: ReturnType<typeof rateLimit>, k: string) => {
      const app = express();
      app.use(mw);
      app.get('/', (_req, res) => {
        res.send('ok');
      });
      statuses[k]?.push((await request(app).get('/')).status);
    };
    await hit(a, 'a');
    await hit(b, 'b');
    await hit(a, 'a'); // a and b share: this is the third of 2
    for (let i = 0; i < 2; i++) await hit(c, 'c');
    for (let i = 0; i < 2; i++) await hit(d, 'd');
    expect(statuses).toEqual({ a: [200, 429], b: [200], c: [200, 200], d: [200, 200] });
    const keys: string[] = [];
    const nodes = 'nodes' in target.admin ? target.admin.nodes('master') : [target.admin];
    for (const node of nodes) keys.push(...(await node.keys(`${keyPrefix}*`)));
    expect(keys.map((k) => k.slice(keyPrefix.length).replace(/:[^:]+$/, ':<hash>')).sort()).toEqual(
      [
        'ratelimit:in:default:q2w120:<hash>',
        'ratelimit:in:default:q2w60:<hash>',
        'ratelimit:in:export:q2w60:<hash>',
      ],
    );
  });
});
