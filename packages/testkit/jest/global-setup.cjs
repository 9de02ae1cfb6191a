// Jest globalSetup: makes sure process.env.REDIS_URL names a Redis that answers, or records why
// none does in RESIL_REDIS_UNAVAILABLE so the Redis suites fail with that message (never a skip,
// never a pass) while the unit suites still run.
const { DEFAULT_URL, ping, hasRedisServer, startRedisServer } = require('./redis-server.cjs');

module.exports = async () => {
  delete process.env.RESIL_REDIS_UNAVAILABLE;
  const given = process.env.REDIS_URL;
  const url = given || DEFAULT_URL;
  if (await ping(url)) {
    process.env.REDIS_URL = url;
    return;
  }
  if (given) {
    process.env.RESIL_REDIS_UNAVAILABLE = `REDIS_URL is set but no Redis answers there. Start that Redis, or unset REDIS_URL to let the tests start their own redis-server.`;
    return;
  }
  if (!hasRedisServer()) {
    process.env.RESIL_REDIS_UNAVAILABLE =
      'No Redis answers on redis://127.0.0.1:6379 and redis-server is not installed. Install Redis 7 (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis), or set REDIS_URL to a Redis you can use for tests.';
    return;
  }
  const server = await startRedisServer();
  globalThis.__RESIL_TEST_REDIS__ = server;
  process.env.REDIS_URL = server.url;
};
