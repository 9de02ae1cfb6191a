import { randomUUID } from 'node:crypto';
import http from 'node:http';

/**
 * A bounded load generator that behaves like a good client: every create carries an
 * Idempotency-Key and is retried with the same key on 409, 429, 5xx and connection errors,
 * honouring Retry-After (capped), until it succeeds or the deadline passes. Loopback only.
 */

export interface LoadOptions {
  base: string;
  apiKey: string;
  /** Label of the scenario: part of every hospital's name, so its records can be found. */
  scenario: string;
  /** Logical creates (each with its own key). */
  count: number;
  concurrency: number;
  /** A single attempt slower than this counts as hung and is abandoned. */
  attemptTimeoutMs: number;
  /** No new attempt after this many ms from the start. */
  deadlineMs: number;
  /** Called after every finished logical create (success or give-up). */
  onProgress?: (finished: number) => void;
}

export interface Created {
  key: string;
  name: string;
  id: string;
}

export interface LoadResult {
  /** HTTP attempts made. */
  sent: number;
  /** Logical creates that got a 201. */
  created: Created[];
  /** Keys that never got a 201 before the deadline. */
  gaveUp: string[];
  /** Keys answered with a status a good client does not retry (400, 401, 422...). */
  rejected: Array<{ key: string; status: number }>;
  /** Attempts abandoned after attemptTimeoutMs. */
  hung: number;
  /** Latency of every attempt that got an answer (ms). */
  latencies: number[];
  /** Answers by status (0: connection error). */
  statuses: Record<number, number>;
}

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

function attempt(
  opts: LoadOptions,
  key: string,
  payload: string,
): Promise<Answer | 'hung' | 'error'> {
  return new Promise((resolve) => {
    const req = http.request(
      `${opts.base}/hospitals`,
      {
        method: 'POST',
        agent: false,
        timeout: opts.attemptTimeoutMs,
        headers: {
          authorization: `Bearer ${opts.apiKey}`,
          'idempotency-key': key,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          connection: 'close',
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => {
          const ra = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: Array.isArray(ra) ? ra[0] : ra,
            body,
          });
        });
        res.on('error', () => resolve('error'));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve('hung');
    });
    req.on('error', () => resolve('error'));
    req.end(payload);
  });
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const start = Date.now();
  const result: LoadResult = {
    sent: 0,
    created: [],
    gaveUp: [],
    rejected: [],
    hung: 0,
    latencies: [],
    statuses: {},
  };
  let next = 0;
  let finished = 0;
  const one = async (i: number) => {
    const key = `${opts.scenario}-${i}-${randomUUID()}`;
    const name = `Fault ${opts.scenario} ${i}`;
    const payload = JSON.stringify({ name, address: `${100 + i} Main Street` });
    for (let tries = 0; ; tries++) {
      if (Date.now() - start > opts.deadlineMs) {
        result.gaveUp.push(key);
        return;
      }
      result.sent++;
      const t = performance.now();
      const answer = await attempt(opts, key, payload);
      if (answer === 'hung') {
        result.hung++;
        continue;
      }
      if (answer === 'error') {
        result.statuses[0] = (result.statuses[0] ?? 0) + 1;
        await wait(Math.min(500, 50 * 2 ** tries) * (0.5 + Math.random() / 2));
        continue;
      }
      result.latencies.push(performance.now() - t);
      result.statuses[answer.status] = (result.statuses[answer.status] ?? 0) + 1;
      if (answer.status === 201) {
        const body = JSON.parse(answer.body) as { id: string };
        result.created.push({ key, name, id: body.id });
        return;
      }
      if (answer.status === 409 || answer.status === 429 || answer.status >= 500) {
        const ra = Number(answer.retryAfter);
        const backoff = Math.min(500, 50 * 2 ** tries) * (0.5 + Math.random() / 2);
        await wait(Number.isFinite(ra) && ra > 0 ? Math.min(ra * 1000, 1_000) : backoff);
        continue;
      }
      result.rejected.push({ key, status: answer.status });
      return;
    }
  };
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.count) {
        const i = next++;
        await one(i);
        opts.onProgress?.(++finished);
      }
    }),
  );
  return result;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
}
