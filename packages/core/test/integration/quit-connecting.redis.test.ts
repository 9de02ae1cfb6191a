import { fork } from 'node:child_process';
import path from 'node:path';
import { type RedisClusterHandle, redisUrl, startRedisCluster } from '@resil/testkit';

const fixture = path.join(__dirname, 'fixtures', 'quit-connecting.ts');

/**
 * Runs the fixture; resolves how it ended. A process that does not exit on its own within
 * `hangMs` after closing its client is killed, and reported as `hung`.
 */
function run(mode: string, where: string, hangMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(fixture, [mode, where], {
      execArgv: ['--conditions=@resil/source', '--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let timer: NodeJS.Timeout | undefined;
    child.on('message', () => {
      // closed: from now on, nothing may keep the process alive
      timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, hangMs);
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? 'hung' : `exit ${code}`);
    });
  });
}

// Issue #21: node-redis 5 leaks a connection closed while it is being made (a client's socket
// becomes ready after destroy(); a cluster closed while it discovers its slots connects every
// master afterwards, and those clients reconnect for ever once the cluster is gone): Jest did not
// exit after breaker's key-loss suite on node-redis. quitClient and ChannelSubscription.close()
// let the connection finish or fail first.
describe('a node-redis client closed while it connects lets its process exit', () => {
  it('quitClient on a single client whose first connection is being made', async () => {
    expect(await run('quit', redisUrl())).toBe('exit 0');
  });

  it('ChannelSubscription.close() while its duplicate of a single client connects', async () => {
    expect(await run('subscribe', redisUrl())).toBe('exit 0');
  });

  describe('Redis Cluster, 3 masters', () => {
    let cluster: RedisClusterHandle | undefined;
    beforeAll(async () => {
      cluster = await startRedisCluster({ masters: 3 });
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    });
    const nodes = () => (cluster?.nodes ?? []).map((n) => `${n.host}:${n.port}`).join(',');

    it('quitClient on a cluster discovering its slots', async () => {
      expect(await run('quit', nodes())).toBe('exit 0');
    });

    it('ChannelSubscription.close() while its duplicate of a cluster discovers its slots', async () => {
      expect(await run('subscribe', nodes())).toBe('exit 0');
    });
  });
});
