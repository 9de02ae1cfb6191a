import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pingRedis } from './server';

export interface RedisClusterHandle {
  /** Seed nodes for `new Cluster(nodes)`. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>;
  /** Kills every node (SIGKILL) and removes their folders. */
  stop(): Promise<void>;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A port p such that p and p + 10000 (the cluster bus) are both free. */
async function clusterPort(taken: Set<number>): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 20000);
    if (taken.has(p) || taken.has(p + 10000)) continue;
    if ((await portFree(p)) && (await portFree(p + 10000))) return p;
  }
  throw new Error('startRedisCluster: no free port pair found');
}

async function clusterOk(port: number): Promise<boolean> {
  const out = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
  return out.status === 0 && out.stdout.includes('cluster_state:ok');
}

/**
 * Starts a real Redis Cluster of `masters` masters (no replicas) on loopback ports, with
 * `redis-server --cluster-enabled yes` and `redis-cli --cluster create`, and waits until every
 * node reports `cluster_state:ok`.
 */
export async function startRedisCluster({ masters = 3 } = {}): Promise<RedisClusterHandle> {
  const taken = new Set<number>();
  const nodes: { host: string; port: number; dir: string; child: ReturnType<typeof spawn> }[] = [];
  const stop = async () => {
    await Promise.all(
      nodes.map(
        (n) =>
          new Promise<void>((resolve) => {
            if (n.child.exitCode !== null || n.child.signalCode !== null) resolve();
            else {
              n.child.once('exit', () => resolve());
              n.child.kill('SIGKILL');
            }
          }),
      ),
    );
    for (const n of nodes) fs.rmSync(n.dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort(taken);
      taken.add(port);
      taken.add(port + 10000);
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resil-cluster-'));
      const child = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          path.join(dir, 'nodes.conf'),
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
        ],
        { stdio: 'ignore' },
      );
      nodes.push({ host: '127.0.0.1', port, dir, child });
    }
    for (const n of nodes) {
      const deadline = Date.now() + 10_000;
      while (!(await pingRedis(`redis://127.0.0.1:${n.port}`, 200))) {
        if (Date.now() > deadline) throw new Error(`cluster node ${n.port} did not start`);
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { encoding: 'utf8' },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stderr}`);
    const deadline = Date.now() + 20_000;
    for (const n of nodes) {
      while (!(await clusterOk(n.port))) {
        if (Date.now() > deadline) throw new Error('the cluster did not reach cluster_state:ok');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { nodes: nodes.map(({ host, port }) => ({ host, port })), stop };
}
