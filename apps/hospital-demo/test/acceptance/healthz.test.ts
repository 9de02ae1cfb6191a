import request from 'supertest';
import { createApp } from '../../src/app';

describe('GET /healthz', () => {
  it('answers 200 with status ok', async () => {
    const res = await request(createApp()).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});
