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
});
