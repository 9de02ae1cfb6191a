import {
  type RedisClusterHandle,
  type RedisServer,
  redisUrl,
  startRedisCluster,
  startRedisServer,
  uniquePrefix,
  waitFor,
} from '@resil/testkit';
import {
  type ChannelSubscription,
  type ListeningEvent,
  type RedisClient,
  redisCommand,
  subscribeChannel,
} from '../../src/index';
import { CLIENT_KINDS, clientTracker } from '../support/redis-clients';

// Once per client (ioredis, node-redis, node-redis RESP3).
describe.each(CLIENT_KINDS)('subscribeChannel with $name', (kind) => {
  const tracked = clientTracker();
  const subs: ChannelSubscription[] = [];
  afterEach(async () => {
    await Promise.all(subs.splice(0).map((s) => s.close()));
  });
  afterAll(() => tracked.closeAll());

  function listen(client: RedisClient, channel: string) {
    const messages: string[] = [];
    const listening: ListeningEvent[] = [];
    const sub = subscribeChannel(client, channel, (m) => messages.push(m));
    sub.onListening((e) => listening.push(e));
    subs.push(sub);
    return { sub, messages, listening };
  }

  it('delivers what another client publishes, on a connection of its own; close unsubscribes', async () => {
    const client = tracked.add(kind.single(redisUrl()));
    const publisher = tracked.add(kind.single(redisUrl()));
    const channel = `${uniquePrefix('core-sub')}changes`;
    const { sub, messages, listening } = listen(client, channel);
    await sub.subscribed;
    expect(sub.listening).toBe(true);
    expect(listening).toEqual([{ reconnect: false }]);
    expect(await redisCommand(publisher, ['PUBLISH', channel, 'a|open|1'])).toBe(1);
    await waitFor(() => messages.length === 1, { what: 'the message' });
    expect(messages).toEqual(['a|open|1']);
    // the caller's client is not in subscriber mode: it still answers commands
    await expect(redisCommand(client, ['PING'])).resolves.toBe('PONG');
    await sub.close();
    expect(sub.listening).toBe(false);
    await waitFor(async () => (await redisCommand(publisher, ['PUBLISH', channel, 'x'])) === 0, {
      what: 'the subscriber connection to close',
    });
    expect(messages).toEqual(['a|open|1']);
  });

  describe('on a Redis that restarts', () => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(() => server.stop());
    it('renews the subscription after the restart and says so (reconnect: true)', async () => {
      const client = tracked.add(kind.single(server.url));
      const { sub, messages, listening } = listen(client, 'core-sub-restart');
      await sub.subscribed;
      const port = server.port;
      await server.stop();
      server = await startRedisServer({ port });
      await waitFor(() => listening.length === 2, {
        timeoutMs: 10_000,
        what: 'the subscription to be renewed',
      });
      expect(listening).toEqual([{ reconnect: false }, { reconnect: true }]);
      const publisher = tracked.add(kind.single(server.url));
      await waitFor(
        async () => (await redisCommand(publisher, ['PUBLISH', 'core-sub-restart', 'b'])) === 1,
        { what: 'the renewed subscription to receive' },
      );
      await waitFor(() => messages.includes('b'), { what: 'the message after the restart' });
    });
    it('subscribes once a Redis that was away at the start comes back', async () => {
      const port = server.port;
      await server.stop();
      const client = tracked.add(kind.single(`redis://127.0.0.1:${port}`));
      const { sub, messages } = listen(client, 'core-sub-late');
      await sub.subscribed; // settles on the first failure: nobody waits on a Redis that is away
      expect(sub.listening).toBe(false);
      server = await startRedisServer({ port });
      await waitFor(() => sub.listening, { timeoutMs: 10_000, what: 'the late subscription' });
      const publisher = tracked.add(kind.single(server.url));
      expect(await redisCommand(publisher, ['PUBLISH', 'core-sub-late', 'c'])).toBe(1);
      await waitFor(() => messages.includes('c'), { what: 'the message' });
    });
  });

  describe('on Redis Cluster', () => {
    let cluster: RedisClusterHandle;
    beforeAll(async () => {
      cluster = await startRedisCluster({ masters: 3 });
    }, 60_000);
    afterAll(async () => {
      await Promise.all(subs.splice(0).map((s) => s.close()));
      await tracked.closeAll();
      await cluster?.stop();
    });
    it('delivers a message published through another cluster client (PUBLISH reaches every node)', async () => {
      const client = tracked.add(await kind.cluster(cluster.nodes));
      const publisher = tracked.add(await kind.cluster(cluster.nodes));
      const { sub, messages } = listen(client, 'core-sub-cluster');
      await sub.subscribed;
      expect(sub.listening).toBe(true);
      await redisCommand(publisher, ['PUBLISH', 'core-sub-cluster', 'd']);
      await waitFor(() => messages.includes('d'), { what: 'the message on the cluster' });
    });
  });
});
