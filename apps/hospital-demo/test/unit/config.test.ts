import { isConfigError, loadConfig } from '../../src/config';

const KEYS = {
  API_KEYS: 'alice:alice-key-0123456789abcdef',
  ADMIN_API_KEY: 'admin-key-0123456789abcdef',
};

describe('loadConfig', () => {
  it('has working defaults: one process, memory state, a generated development key', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      workers: 1,
      redisUrl: undefined,
      upstreamUrl: undefined,
    });
    expect(c.generatedApiKey).toMatch(/^dev_[A-Za-z0-9_-]{32}$/);
    expect(c.generatedAdminKey).toMatch(/^adm_/);
    expect(c.apiKeys).toHaveLength(1);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('refuses WORKERS>1 without REDIS_URL and says why', () => {
    expect.assertions(3);
    try {
      loadConfig({ ...KEYS, WORKERS: '4' });
    } catch (err) {
      expect(isConfigError(err)).toBe(true);
      expect((err as Error).message).toContain('WORKERS=4 needs REDIS_URL');
      expect((err as Error).message).toContain('could create a hospital twice');
    }
  });

  it('accepts WORKERS>1 with REDIS_URL', () => {
    expect(loadConfig({ ...KEYS, WORKERS: '2', REDIS_URL: 'redis://127.0.0.1:6379' }).workers).toBe(
      2,
    );
  });

  it('lists every problem at once, naming each variable', () => {
    expect.assertions(1);
    try {
      loadConfig({
        PORT: 'eighty',
        UPSTREAM_URL: 'ftp://x',
        REGISTRY_ERROR_RATE: '2',
        LOG_LEVEL: 'loud',
      });
    } catch (err) {
      const problems = (err as { problems: string[] }).problems;
      expect(problems.map((p) => p.split(' ')[0])).toEqual(
        expect.arrayContaining(['PORT', 'UPSTREAM_URL', 'REGISTRY_ERROR_RATE', 'LOG_LEVEL']),
      );
    }
  });

  it('never echoes an API key, even a rejected one', () => {
    expect.assertions(2);
    try {
      loadConfig({ API_KEYS: 'alice:short-secret', ADMIN_API_KEY: 'tiny' });
    } catch (err) {
      expect((err as Error).message).not.toContain('short-secret');
      expect((err as Error).message).not.toContain('tiny');
    }
  });

  it('reads owner:key pairs and stores only digests', () => {
    const c = loadConfig({
      ...KEYS,
      API_KEYS: 'alice:alice-key-0123456789abcdef,bob:bob-key-0123456789abcdef',
    });
    expect(c.apiKeys.map((k) => k.owner)).toEqual(['alice', 'bob']);
    expect(JSON.stringify(c)).not.toContain('alice-key');
    expect(c.generatedApiKey).toBeUndefined();
  });

  it('refuses RETRY_MAX_DELAY_MS below RETRY_MIN_DELAY_MS', () => {
    expect(() =>
      loadConfig({ ...KEYS, RETRY_MIN_DELAY_MS: '500', RETRY_MAX_DELAY_MS: '100' }),
    ).toThrow(/RETRY_MAX_DELAY_MS/);
  });

  it('has the operator endpoint defaults: shared port, 240 per minute, readiness cached 5 s, state read at most once a second', () => {
    expect(loadConfig(KEYS)).toMatchObject({
      opsPort: undefined,
      opsHost: '127.0.0.1',
      opsRateLimit: 240,
      opsWindowMs: 60_000,
      readyCacheMs: 5_000,
      statusRefreshMs: 1_000,
    });
    expect(loadConfig({ ...KEYS, OPS_PORT: '9100', OPS_HOST: '10.0.0.5' })).toMatchObject({
      opsPort: 9100,
      opsHost: '10.0.0.5',
    });
  });

  it('refuses OPS_PORT equal to PORT, an OPS_WINDOW_MS that is not whole seconds, and bad numbers', () => {
    expect.assertions(5);
    try {
      loadConfig({
        ...KEYS,
        PORT: '8080',
        OPS_PORT: '8080',
        OPS_WINDOW_MS: '1500',
        OPS_RATE_LIMIT: '0',
        READY_CACHE_MS: 'soon',
      });
    } catch (err) {
      const problems = (err as { problems: string[] }).problems.join('\n');
      expect(isConfigError(err)).toBe(true);
      expect(problems).toContain('OPS_PORT must differ from PORT');
      expect(problems).toContain('OPS_WINDOW_MS must be a whole number of seconds');
      expect(problems).toContain('OPS_RATE_LIMIT must be between 1 and 1000000');
      expect(problems).toContain('READY_CACHE_MS must be a whole number');
    }
  });
});

describe('IDEMPOTENCY_ENCRYPTION_KEY', () => {
  it('takes a 32-byte base64 key; unset: one generated per run', () => {
    const given = Buffer.alloc(32, 7).toString('base64');
    const c = loadConfig({ ...KEYS, IDEMPOTENCY_ENCRYPTION_KEY: given });
    expect(c.idempotencyEncryptionKey.equals(Buffer.alloc(32, 7))).toBe(true);
    expect(c.generatedIdempotencyKey).toBeUndefined();
    const d = loadConfig(KEYS);
    expect(d.idempotencyEncryptionKey).toHaveLength(32);
    expect(
      Buffer.from(d.generatedIdempotencyKey ?? '', 'base64').equals(d.idempotencyEncryptionKey),
    ).toBe(true);
  });

  it('refuses a key of another length or not base64, without echoing it', () => {
    for (const bad of [Buffer.alloc(16).toString('base64'), 'not-base64-at-all!!']) {
      try {
        loadConfig({ ...KEYS, IDEMPOTENCY_ENCRYPTION_KEY: bad });
        throw new Error('accepted');
      } catch (err) {
        expect(isConfigError(err)).toBe(true);
        expect((err as Error).message).toContain('IDEMPOTENCY_ENCRYPTION_KEY must be 32 bytes');
        expect((err as Error).message).not.toContain(bad);
      }
    }
  });
});
