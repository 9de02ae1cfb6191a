module.exports = async () => {
  const server = globalThis.__RESIL_TEST_REDIS__;
  if (server) await server.stop();
};
