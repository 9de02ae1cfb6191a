import express from 'express';
import request from 'supertest';
import { sanitizeInput, sanitizeRequest } from '../../src';

/** Regression tests named after the findings of issue #23 they pin. */

type Seen = { body: unknown; query: unknown; params: unknown };

/** An app whose handlers record what they saw; the response echoes nothing. */
function recordingApp(mount: 'app' | 'router') {
  const seen: Seen[] = [];
  const app = express();
  app.set('query parser', 'extended');
  const record: express.RequestHandler = (req, res) => {
    seen.push({ body: req.body, query: req.query, params: req.params });
    res.status(204).end();
  };
  if (mount === 'app') {
    app.use(express.json(), sanitizeRequest());
    app.all('/r/:id', record);
  } else {
    const router = express.Router();
    router.use(express.json(), sanitizeRequest());
    router.all('/r/:id', record);
    app.use('/api', router);
  }
  return { app, seen };
}

describe('sanitizeRequest', () => {
  it('#23-6: a key that becomes an operator once cleaned ("<x>$ne") is dropped', async () => {
    const { app, seen } = recordingApp('app');
    await request(app)
      .post('/r/1')
      .set('content-type', 'application/json')
      .send('{"name":{"<x>$ne":null},"\\u200b$gt":1,"a<b>.b":2}')
      .expect(204);
    expect(seen[0]?.body).toEqual({ name: {} });
  });

  it('#23-6: "__<b>proto__" cannot set the prototype of req.body', async () => {
    const { app, seen } = recordingApp('app');
    await request(app)
      .post('/r/1')
      .set('content-type', 'application/json')
      .send(
        '{"__<b>proto__":{"isAdmin":true},"con<i>structor":{"pro<i>totype":{"isAdmin":true}},"name":"Ann"}',
      )
      .expect(204);
    const body = seen[0]?.body as Record<string, unknown>;
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(body.isAdmin).toBeUndefined();
    expect(Object.keys(body)).toEqual(['name']);
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined();
  });

  it('#23-6: ?%3Cx%3E%24where=1 does not give req.query.$where', async () => {
    const { app, seen } = recordingApp('app');
    await request(app).get('/r/1?%3Cx%3E%24where=1&u[%3Cb%3E%24ne]=x&ok=1').expect(204);
    expect(seen[0]?.query).toEqual({ u: {}, ok: '1' });
  });

  it.each(['app', 'router'] as const)(
    '#23-7: mounted with %s.use, req.params are sanitised when the route matches',
    async (mount) => {
      const { app, seen } = recordingApp(mount);
      const prefix = mount === 'app' ? '' : '/api';
      await request(app)
        .get(`${prefix}/r/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3EAnn%22`)
        .expect(204);
      expect(seen[0]?.params).toEqual({ id: `Ann${'\u201d'}` });
    },
  );
});

describe('sanitizeInput', () => {
  it('#23-8: is idempotent on "<-<é>" (was "<-é>", then "")', () => {
    const once = sanitizeInput('<-<é>');
    expect(sanitizeInput(once)).toBe(once);
  });

  it('#23-8: strips zero-width and bidi controls, so a name made of them is empty', () => {
    expect(sanitizeInput('\u200b\u202e')).toBe('');
    expect(sanitizeInput('Ann\u202eeoD')).toBe('AnneoD');
  });
});
