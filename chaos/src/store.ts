import {
  type RedisClusterHandle,
  type RedisServer,
  startRedisCluster,
  startRedisServer,
} from '@resil/testkit';
import { Cluster, Redis } from 'ioredis';
import type { Rng } from './rng';

export type Topology = 'single' | 'cluster';

/** What a worker needs to reach the checker's own Redis (never the shared one on 6379). */
export interface StoreAddress {
  topology: Topology;
  url?: string;
  nodes?: { host: string; port: number }[];
}

const ADMIN_NAME = 'chaos-admin';

function admin(port: number): Redis {
  const r = new Redis({
    host: '127.0.0.1',
    port,
    connectionName: ADMIN_NAME,
    maxRetriesPerRequest: 1,
    connectTimeout: 1000,
    commandTimeout: 3000,
    retryStrategy: () => 100,
  });
  r.on('error', () => {});
  return r;
}

/**
 * The checker's Redis: a private redis-server (or a private 3-master Cluster) on free ports, and
 * the faults the schedules inject into it. Every fault is bounded and reported with the real
 * interval during which it was in effect, so the checks can reason on what actually happened.
 */
export class ChaosStore {
  #single?: RedisServer;
  #cluster?: RedisClusterHandle;
  #admins: Redis[] = [];
  #restarting = false;

  private constructor(readonly topology: Topology) {}

  static async start(topology: Topology): Promise<ChaosStore> {
    const s = new ChaosStore(topology);
    if (topology === 'single') {
      s.#single = await startRedisServer();
      s.#admins = [admin(s.#single.port)];
    } else {
      s.#cluster = await startRedisCluster({ masters: 3 });
      s.#admins = s.#cluster.nodes.map((n) => admin(n.port));
    }
    return s;
  }

  get address(): StoreAddress {
    if (this.#single) return { topology: 'single', url: this.#single.url };
    return { topology: 'cluster', nodes: [...(this.#cluster?.nodes ?? [])] };
  }

  /** Faults this topology supports (a Cluster without replicas cannot lose a node and go on). */
  get canRestart(): boolean {
    return this.topology === 'single';
  }

  /** SIGKILL of redis-server, `downMs` with nothing listening, then an empty server on the same port. */
  async restart(downMs: number): Promise<boolean> {
    const s = this.#single;
    if (!s || this.#restarting) return false;
    this.#restarting = true;
    try {
      await s.stop();
      await new Promise((r) => setTimeout(r, downMs));
      for (let i = 0; ; i++) {
        try {
          this.#single = await startRedisServer({ port: s.port });
          break;
        } catch (err) {
          if (i >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      return true;
    } finally {
      this.#restarting = false;
    }
  }

  #node(rng: Rng): Redis {
    return rng.pick(this.#admins);
  }

  /** `CLIENT PAUSE ms ALL` on one node: every client's commands wait (the server keeps its data). */
  async pause(rng: Rng, ms: number): Promise<boolean> {
    try {
      await this.#node(rng).call('CLIENT', 'PAUSE', String(ms), 'ALL');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * `CLIENT KILL ID` of one of the workers' connections on one node: a command connection
   * (`which: 'cmd'`) or a subscriber (`'pubsub'`). Returns how many matched (0: nothing killed).
   */
  async killClient(rng: Rng, which: 'cmd' | 'pubsub'): Promise<number> {
    const candidates: { node: Redis; id: string }[] = [];
    for (const node of this.#admins) {
      let list: string;
      try {
        list = String(await node.call('CLIENT', 'LIST'));
      } catch {
        continue;
      }
      for (const line of list.split('\n')) {
        if (!line.trim()) continue;
        const f = Object.fromEntries(
          line
            .trim()
            .split(' ')
            .map((kv) => {
              const i = kv.indexOf('=');
              return [kv.slice(0, i), kv.slice(i + 1)];
            }),
        ) as Record<string, string>;
        if (f.name === ADMIN_NAME || f.id === undefined) continue;
        const sub = Number(f.sub ?? 0) + Number(f.psub ?? 0) + Number(f.ssub ?? 0) > 0;
        if ((which === 'pubsub') === sub) candidates.push({ node, id: f.id });
      }
    }
    if (candidates.length === 0) return 0;
    const victim = rng.pick(candidates);
    try {
      await victim.node.call('CLIENT', 'KILL', 'ID', victim.id);
    } catch {
      return 0;
    }
    return candidates.length;
  }

  /** Keys under `prefix`, on every node. */
  async keys(prefix: string): Promise<{ node: Redis; key: string }[]> {
    const out: { node: Redis; key: string }[] = [];
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    for (const node of this.#admins) {
      try {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
          cursor = next;
          for (const key of keys) out.push({ node, key });
        } while (cursor !== '0');
      } catch {
        // node unreachable (restarting): nothing to expire there
      }
    }
    return out;
  }

  /**
   * Key loss: `DEL` (eviction) or `PEXPIRE key 1..30` (expiry) of a random subset of our keys.
   * Returns the keys that were hit.
   */
  async loseKeys(rng: Rng, prefix: string, mode: 'del' | 'pexpire'): Promise<string[]> {
    // Sorted, so that the same seed picks the same keys whatever order SCAN returned them in.
    const all = (await this.keys(prefix)).sort((a, b) =>
      a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
    );
    const hit: string[] = [];
    const always = all.length > 0 ? rng.int(0, all.length - 1) : -1; // at least one key is lost
    for (const [i, k] of all.entries()) {
      if (i !== always && !rng.chance(0.5)) continue;
      try {
        if (mode === 'del') await k.node.del(k.key);
        else await k.node.pexpire(k.key, rng.int(1, 30));
        hit.push(k.key);
      } catch {
        // gone already
      }
    }
    return hit;
  }

  /** A fresh client for the checker itself (reading state), closed by the caller. */
  client(): Redis | Cluster {
    if (this.#single) {
      const r = new Redis(this.#single.url, {
        maxRetriesPerRequest: 1,
        connectionName: ADMIN_NAME,
      });
      r.on('error', () => {});
      return r;
    }
    const c = new Cluster([...(this.#cluster?.nodes ?? [])], {
      redisOptions: { connectionName: ADMIN_NAME, maxRetriesPerRequest: 1 },
    });
    c.on('error', () => {});
    return c;
  }

  async stop(): Promise<void> {
    for (const a of this.#admins) a.disconnect();
    await this.#single?.stop();
    await this.#cluster?.stop();
  }
}
