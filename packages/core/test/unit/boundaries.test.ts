// Boundaries and guards of the small core modules that the other unit files leave open (found by
// mutation testing, issue #23): each test fails when the guard or the boundary changes.
import path from 'node:path';
import {
  Deadlines,
  hashKeyPart,
  hashTagOf,
  keyBuilder,
  makeCloseable,
  problem,
  problemType,
  sendProblem,
  statusOf,
} from '../../src/index';
import { optionalRequire } from '../../src/internal/optional';

describe('keyBuilder guards', () => {
  it('refuses a prefix, namespace or id that is not a string, naming what is wrong', () => {
    const prefix = 'keyBuilder: keyPrefix must be a string without { or }';
    const namespace = 'keyBuilder: namespace must be a non-empty string without {, } or :';
    const id = 'keyBuilder: an id must be a string without }';
    expect(() => keyBuilder(5 as never, 'breaker')).toThrow(new TypeError(prefix));
    expect(() => keyBuilder('a{', 'breaker')).toThrow(new TypeError(prefix));
    expect(() => keyBuilder('resil:', 5 as never)).toThrow(new TypeError(namespace));
    expect(() => keyBuilder('resil:', 'a:b')).toThrow(new TypeError(namespace));
    expect(() => keyBuilder('resil:', 'breaker').key(5 as never)).toThrow(new TypeError(id));
    expect(() => keyBuilder('resil:', 'breaker').tag('a}')).toThrow(new TypeError(id));
  });
  it('accepts an empty prefix and exposes what it was built with, frozen', () => {
    const keys = keyBuilder('', 'idem');
    expect(keys.key('a', 'done')).toBe('{idem:a}:done');
    expect(keys.keyPrefix).toBe('');
    expect(keys.namespace).toBe('idem');
    expect(Object.isFrozen(keys)).toBe(true);
  });
});

describe('hashKeyPart boundaries', () => {
  it('takes 8 to 64 hex characters, integers only', () => {
    expect(hashKeyPart('x', 8)).toHaveLength(8);
    expect(hashKeyPart('x', 64)).toHaveLength(64);
    expect(() => hashKeyPart('x', 7)).toThrow(RangeError);
    expect(() => hashKeyPart('x', 65)).toThrow(RangeError);
    expect(() => hashKeyPart('x', 8.5)).toThrow(
      new RangeError('hashKeyPart: length must be an integer from 8 to 64'),
    );
  });
  it('is the prefix of the SHA-256 of the value', () => {
    // sha256('abc')
    expect(hashKeyPart('abc', 64)).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hashKeyPart('abc')).toBe('ba7816bf8f01cfea414140de5dae2223');
  });
});

describe('hashTagOf edge cases', () => {
  it('an empty tag at the start, or a close brace before the open one, hashes the whole key', () => {
    expect(hashTagOf('{}')).toBe('{}');
    expect(hashTagOf('}a{b}')).toBe('b');
    expect(hashTagOf('{a}')).toBe('a');
    // no open brace: the whole key, even with a close brace in it
    expect(hashTagOf('a}b')).toBe('a}b');
    // the close brace is looked for after the open one only
    expect(hashTagOf('}{a}')).toBe('a');
  });
});

describe('Deadlines timing', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('refuses an infinite, negative or NaN timeout', () => {
    expect(() => new Deadlines(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => new Deadlines(-1)).toThrow(RangeError);
    expect(() => new Deadlines(Number.NaN)).toThrow(RangeError);
  });
  it('sweeps at a quarter of the timeout, never more often than every 5 ms', () => {
    const fast = new Deadlines(8);
    const fire = jest.fn();
    fast.add(1, fire);
    jest.advanceTimersByTime(4);
    expect(fire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);

    const slow = new Deadlines(400);
    const late = jest.fn();
    slow.add(1, late);
    jest.advanceTimersByTime(99);
    expect(late).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(late).toHaveBeenCalledTimes(1);
  });
  it('a deadline due exactly at a sweep fires at that sweep', () => {
    const d = new Deadlines(100);
    const fire = jest.fn();
    d.add(100, fire);
    jest.advanceTimersByTime(100);
    expect(fire).toHaveBeenCalledTimes(1);
  });
  it('one timer for many deadlines, stopped once none is pending', () => {
    const d = new Deadlines(100);
    d.add(50, () => {});
    d.add(60, () => {});
    expect(d.size).toBe(2);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(75);
    expect(d.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    // and starts again for the next one
    const fire = jest.fn();
    d.add(10, fire);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(25);
    expect(fire).toHaveBeenCalledTimes(1);
  });
  it('keeps a deadline that is not due yet', () => {
    const d = new Deadlines(100);
    const fire = jest.fn();
    d.add(60, fire);
    jest.advanceTimersByTime(50);
    expect(fire).not.toHaveBeenCalled();
    expect(d.size).toBe(1);
    expect(jest.getTimerCount()).toBe(1);
  });
  it('race leaves no deadline pending once the promise settles', async () => {
    const d = new Deadlines(100);
    await d.race(Promise.resolve(1), 100);
    expect(d.size).toBe(0);
    await d.race(Promise.reject(new Error('x')), 100).catch(() => undefined);
    expect(d.size).toBe(0);
  });
});

describe('makeCloseable', () => {
  it('close and Symbol.asyncDispose are the same function, and may be replaced', async () => {
    const release = jest.fn();
    const target = makeCloseable({}, release);
    expect(target[Symbol.asyncDispose]).toBe(target.close);
    await target[Symbol.asyncDispose]();
    expect(release).toHaveBeenCalledTimes(1);
    const other = async () => {};
    target.close = other;
    expect(target.close).toBe(other);
    delete (target as { close?: unknown }).close;
    expect('close' in target).toBe(false);
  });
});

describe('problem boundaries', () => {
  it('slugs are whole lower-case words joined by single dashes', () => {
    for (const bad of ['a-', '-a', 'a--b', 'A', 'a b', 'a_b', '', 'é'])
      expect(() => problemType(bad)).toThrow(TypeError);
    expect(() => problemType(5 as never)).toThrow(TypeError);
    expect(problemType('a-1-b2')).toBe('https://resil.dev/problems/a-1-b2');
  });
  it('status from 400 to 599, integers only', () => {
    expect(problem({ slug: 'x', status: 400, title: 'X' }).status).toBe(400);
    expect(problem({ slug: 'x', status: 599, title: 'X' }).status).toBe(599);
    for (const status of [399, 600, 400.5])
      expect(() => problem({ slug: 'x', status, title: 'X' })).toThrow(RangeError);
  });
  it('every reserved member is kept from extensions, others are added', () => {
    const p = problem({
      slug: 'x',
      status: 400,
      title: 'X',
      detail: 'd',
      extensions: { type: 't', title: 't', status: 1, detail: 'e', instance: 'i', retryIn: 2 },
    });
    expect(p).toEqual({
      type: 'https://resil.dev/problems/x',
      title: 'X',
      status: 400,
      detail: 'd',
      retryIn: 2,
    });
  });
  it('sendProblem sets the status, the given headers and the exact byte length', () => {
    const headers: Record<string, unknown> = {};
    const res = {
      statusCode: 200,
      headersSent: false,
      setHeader: (n: string, v: unknown) => {
        headers[n] = v;
      },
      end: jest.fn(),
    };
    const details = problem({ slug: 'x', status: 503, title: 'Ünavailable' });
    expect(sendProblem(res, details, { 'Retry-After': 1 })).toBe(true);
    const body = JSON.stringify(details);
    expect(res.statusCode).toBe(503);
    expect(headers).toEqual({
      'Retry-After': 1,
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    expect(headers['Content-Length']).toBe(body.length + 1);
    expect(res.end).toHaveBeenCalledWith(body);
  });
});

describe('statusOf precedence', () => {
  it('status before statusCode before response.status; non-objects and undefined give none', () => {
    expect(statusOf({ status: 400, statusCode: 500, response: { status: 502 } })).toBe(400);
    expect(statusOf({ statusCode: 500, response: { status: 502 } })).toBe(500);
    expect(statusOf({})).toBeUndefined();
    expect(statusOf(undefined)).toBeUndefined();
    expect(statusOf(503)).toBeUndefined();
  });
});

describe('optionalRequire', () => {
  it('loads an installed module, answers undefined for a missing one', () => {
    expect(optionalRequire<typeof import('node:path')>('node:path')?.join('a', 'b')).toBe('a/b');
    expect(optionalRequire('@resil/no-such-module-here')).toBeUndefined();
  });
  it('rethrows any other failure of the module (one that throws while loading)', () => {
    const fixture = path.join(__dirname, 'fixtures', 'throws-on-load.cjs');
    expect(() => optionalRequire(fixture)).toThrow('fixture: fails on load');
  });
  it("takes the ES module loader's not-found code as absent too", () => {
    expect(optionalRequire(path.join(__dirname, 'fixtures', 'esm-not-found.cjs'))).toBeUndefined();
  });
});
