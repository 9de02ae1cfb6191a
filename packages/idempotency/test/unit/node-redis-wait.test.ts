// RedisStore's waitForReplicas on a node-redis client (scriptThenWait in src/store.ts), on a
// stand-in client whose commands are answered one by one by the test: the script (EVALSHA) and
// WAIT are both sent before either is answered; the call settles only once both have answered;
// NOSCRIPT re-sends the script whole with EVAL, WAIT again after it; a failed WAIT counts as no
// acknowledgement; a failed script rejects. On real node-redis clients, a server of our own and a
// cluster: test/integration/node-redis.redis.test.ts (not run under mutation testing: it starts
// its own redis-server).
import { CORE_ERROR_CODES } from '@resil/core';
import { waitFor } from '@resil/testkit';
import { ERROR_CODES, RedisStore, type StoredResponse } from '../../src';
import { CLAIM, COMPLETE, RELEASE } from '../../src/scripts';

/** node-redis's error reply (core tells it from an outage by its class name). */
class ErrorReply extends Error {}

interface Sent {
  args: string[];
  answer(v: unknown): void;
  fail(e: unknown): void;
}

/** A node-redis client (by shape: isOpen, isReady, sendCommand, on) that answers nothing by itself. */
function standIn() {
  const sent: Sent[] = [];
  const client = {
    isOpen: true,
    isReady: true,
    on: () => client,
    off: () => client,
    sendCommand: (args: Array<string | Buffer>) =>
      new Promise((resolve, reject) => {
        sent.push({ args: args.map(String), answer: resolve, fail: reject });
      }),
  };
  /** The n-th command, once sent. */
  const nth = (n: number) =>
    waitFor(() => sent[n], { what: `command ${n + 1} to be sent`, timeoutMs: 2_000 });
  return { client, sent, nth };
}

/** Lets every pending promise callback run (one turn of the event loop; no time passes). */
const turn = () => new Promise((r) => setImmediate(r));

const storeOn = (client: unknown, replicas: number) =>
  new RedisStore(client as never, {
    timeoutMs: 2_000,
    waitForReplicas: { replicas, timeoutMs: 50 },
  });

const response: StoredResponse = {
  status: 201,
  headers: { a: 'b' },
  body: Buffer.from('x'),
  omitted: false,
};

describe('RedisStore waitForReplicas on a node-redis client (stand-in)', () => {
  it('sends EVALSHA and WAIT before either is answered, and settles only once both answered', async () => {
    const { client, sent, nth } = standIn();
    let settled = false;
    const claim = storeOn(client, 1)
      .claim('k', 'o1', 'fp', 5_000)
      .finally(() => {
        settled = true;
      });
    await nth(1);
    expect(sent.map((s) => s.args)).toEqual([
      ['EVALSHA', CLAIM.sha, '1', 'k', 'o1', 'fp', '5000'],
      ['WAIT', '1', '50'],
    ]);
    sent[0]?.answer(['claimed']);
    await turn();
    expect(settled).toBe(false);
    sent[1]?.answer(1);
    await expect(claim).resolves.toEqual({ claimed: true });
    expect(sent).toHaveLength(2);
  });

  it('a completion: the COMPLETE script and WAIT; stored and acknowledged is true, not stored is false', async () => {
    const { client, sent, nth } = standIn();
    const store = storeOn(client, 1);
    const done = store.complete('k', 'o1', response, 60_000);
    await nth(1);
    expect(sent.map((s) => s.args)).toEqual([
      ['EVALSHA', COMPLETE.sha, '1', 'k', 'o1', '201', '{"a":"b"}', 'eA==', '0', '60000'],
      ['WAIT', '1', '50'],
    ]);
    sent[0]?.answer(1);
    sent[1]?.answer(1);
    await expect(done).resolves.toBe(true);
    const other = store.complete('k', 'o2', response, 60_000);
    await nth(3);
    sent[2]?.answer(0);
    sent[3]?.answer(0);
    await expect(other).resolves.toBe(false);
  });

  it('NOSCRIPT: once the first WAIT answered, the script is sent whole with EVAL, then WAIT again', async () => {
    const { client, sent, nth } = standIn();
    const claim = storeOn(client, 1).claim('k', 'o1', 'fp', 5_000);
    await nth(1);
    sent[0]?.fail(new ErrorReply('NOSCRIPT No matching script. Please use EVAL.'));
    await turn();
    expect(sent).toHaveLength(2); // the EVAL waits for the first WAIT's answer
    sent[1]?.answer(0);
    await nth(3);
    expect(sent.slice(2).map((s) => s.args)).toEqual([
      ['EVAL', CLAIM.lua, '1', 'k', 'o1', 'fp', '5000'],
      ['WAIT', '1', '50'],
    ]);
    sent[2]?.answer(['claimed']);
    sent[3]?.answer(1);
    await expect(claim).resolves.toEqual({ claimed: true });
    expect(sent).toHaveLength(4);
  });

  it('fewer acknowledgements than asked: the claim is released and refused (NOT_REPLICATED)', async () => {
    const { client, sent, nth } = standIn();
    const claim = storeOn(client, 2).claim('k', 'o1', 'fp', 5_000);
    await nth(1);
    sent[0]?.answer(['claimed']);
    sent[1]?.answer(1);
    const release = await nth(2);
    expect(release.args).toEqual(['EVALSHA', RELEASE.sha, '1', 'k', 'o1']);
    release.answer(1);
    await expect(claim).rejects.toMatchObject({ code: ERROR_CODES.NOT_REPLICATED });
  });

  it('a failed WAIT counts as no acknowledgement: the claim is released and refused, even with 0 replicas asked', async () => {
    const { client, sent, nth } = standIn();
    const claim = storeOn(client, 0).claim('k', 'o1', 'fp', 5_000);
    await nth(1);
    sent[0]?.answer(['claimed']);
    sent[1]?.fail(new ErrorReply('ERR WAIT cannot be used here'));
    const release = await nth(2);
    expect(release.args).toEqual(['EVALSHA', RELEASE.sha, '1', 'k', 'o1']);
    release.answer(1);
    await expect(claim).rejects.toMatchObject({ code: ERROR_CODES.NOT_REPLICATED });
  });

  it('a failed script rejects with its error, once WAIT answered too', async () => {
    const { client, sent, nth } = standIn();
    let settled = false;
    const claim = storeOn(client, 1)
      .claim('k', 'o1', 'fp', 5_000)
      .finally(() => {
        settled = true;
      });
    claim.catch(() => undefined);
    await nth(1);
    const boom = new ErrorReply('ERR boom');
    sent[0]?.fail(boom);
    await turn();
    expect(settled).toBe(false);
    sent[1]?.answer(1);
    await expect(claim).rejects.toBe(boom);
    expect(sent).toHaveLength(2);
  });

  it('a script that fails for want of Redis (not an error reply) is an outage (REDIS_FAILED), and the store backs off', async () => {
    const { client, sent, nth } = standIn();
    const store = storeOn(client, 1);
    const claim = store.claim('k', 'o1', 'fp', 5_000);
    claim.catch(() => undefined);
    await nth(1);
    const lost = new Error('Socket closed unexpectedly');
    sent[0]?.fail(lost);
    sent[1]?.fail(lost);
    await expect(claim).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_FAILED,
      cause: lost,
    });
    expect(store.bounded.degraded).toBe(true);
    await expect(store.claim('k2', 'o1', 'fp', 5_000)).rejects.toMatchObject({
      code: CORE_ERROR_CODES.REDIS_UNAVAILABLE,
    });
    expect(sent).toHaveLength(2); // failed fast: nothing sent
  });
});
