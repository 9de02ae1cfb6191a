import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  PROBLEM_CONTENT_TYPE,
  PROBLEM_TYPE_BASE,
  problem,
  problemType,
  sendProblem,
  statusOf,
} from '../../src/index';

describe('problemType', () => {
  it('uses the one scheme', () => {
    expect(problemType('idempotency-key-reused')).toBe(
      'https://resil.dev/problems/idempotency-key-reused',
    );
    expect(PROBLEM_TYPE_BASE).toBe('https://resil.dev/problems/');
  });
  it.each(['Upper', 'a b', '', '-x', 'x-', 'a/b'])('refuses slug %p', (s) => {
    expect(() => problemType(s)).toThrow(TypeError);
  });
});

describe('problem', () => {
  it('builds RFC 9457 members; extensions cannot replace them', () => {
    expect(
      problem({
        slug: 'rate-limited',
        status: 429,
        title: 'Too many requests',
        detail: 'Try again later.',
        extensions: { retryAfterSeconds: 3, type: 'evil', status: 200 },
      }),
    ).toEqual({
      type: 'https://resil.dev/problems/rate-limited',
      title: 'Too many requests',
      status: 429,
      detail: 'Try again later.',
      retryAfterSeconds: 3,
    });
  });
  it('leaves detail out when not given', () => {
    expect(problem({ slug: 'x', status: 400, title: 'X' })).not.toHaveProperty('detail');
  });
  it.each([200, 399, 600, 400.5])('refuses status %p', (status) => {
    expect(() => problem({ slug: 'x', status, title: 'X' })).toThrow(RangeError);
  });
});

describe('sendProblem', () => {
  it('answers a real HTTP request with application/problem+json', async () => {
    const server = http.createServer((_req, res) => {
      sendProblem(res, problem({ slug: 'rate-limited', status: 429, title: 'Too many requests' }), {
        'Retry-After': 3,
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/?ssn=123-45-6789`);
      expect(res.status).toBe(429);
      expect(res.headers.get('content-type')).toBe(PROBLEM_CONTENT_TYPE);
      expect(res.headers.get('retry-after')).toBe('3');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const text = await res.text();
      expect(text).not.toContain('123-45-6789');
      expect(JSON.parse(text)).toEqual({
        type: 'https://resil.dev/problems/rate-limited',
        title: 'Too many requests',
        status: 429,
      });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
  it('sends nothing once headers are sent', () => {
    const res = { statusCode: 200, headersSent: true, setHeader: jest.fn(), end: jest.fn() };
    expect(sendProblem(res, problem({ slug: 'x', status: 400, title: 'X' }))).toBe(false);
    expect(res.end).not.toHaveBeenCalled();
    expect(res.statusCode).toBe(200);
  });
});

describe('statusOf', () => {
  it('reads status, statusCode or response.status', () => {
    expect(statusOf({ status: 503 })).toBe(503);
    expect(statusOf({ statusCode: 429 })).toBe(429);
    expect(statusOf({ response: { status: 502 } })).toBe(502);
    expect(statusOf({ status: '503', statusCode: 500 })).toBe(500);
    expect(statusOf({ status: 1.5 })).toBeUndefined();
    expect(statusOf({ response: null })).toBeUndefined();
    expect(statusOf(null)).toBeUndefined();
    expect(statusOf('x')).toBeUndefined();
  });
});
