import express, { type Express } from 'express';

/** Builds the demo app. Never listens: src/server.ts does, tests use supertest on this. */
export function createApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  return app;
}
