/**
 * Credentials written into text: an Authorization header line (`Authorization: Basic …` kept the
 * credential and redacted only the word `Basic`), a bearer token or a JSON Web Token in a message
 * (written whole). A JWT's claims often name the user or the patient; a Basic credential is a
 * password in base64. The kept cases pin ordinary words after `basic`, `bearer` and `token`.
 * Tokens are made up here (the JWT is jwt.io's example).
 */
import { createRedactor, SafeLogger } from '../../src';

const r = createRedactor();
const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const BASIC = Buffer.from('clinic-admin:S3cret!pass').toString('base64'); // Y2xpbmljLWFkbWluOlMzY3JldCFwYXNz

function gone(text: string, ...secrets: string[]): string {
  const out = r.string(text);
  expect(out).toContain('[REDACTED');
  for (const s of secrets) {
    expect(out).not.toContain(s);
    // not even a piece of it (a cut inside the token)
    expect(out).not.toContain(s.slice(0, 12));
    expect(out).not.toContain(s.slice(-12));
  }
  return out;
}

describe('an Authorization header written into text', () => {
  it.each([
    `Authorization: Basic ${BASIC}`,
    `authorization=Basic ${BASIC}`,
    `request headers {"authorization": "Basic ${BASIC}"}`,
    `Proxy-Authorization: Basic ${BASIC}`,
    `upstream said 401 for Authorization: Bearer ${JWT}`,
    `Authorization: Bearer opaque-9f8e7d6c5b4a39281706`,
    `Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b`,
    `Authorization: DPoP ${JWT}`,
  ])('redacts the credential, not only the scheme: %s', (line) => {
    gone(
      line,
      BASIC,
      JWT,
      'opaque-9f8e7d6c5b4a39281706',
      '9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b',
    );
  });

  it('redacts a Digest header to the end of the line (the username is in it)', () => {
    const out = gone(
      'Authorization: Digest username="jdoe", realm="ehr", nonce="dcd98b7102dd2f0e", response="6629fae49393a05397450978507c4ef1"\nnext line',
      'jdoe',
      '6629fae49393a05397450978507c4ef1',
    );
    // the line break is written escaped; the next line is kept
    expect(out).toMatch(/\[REDACTED\]\\nnext line$/);
  });
});

describe('tokens anywhere in text', () => {
  it.each([
    `retrying with Bearer ${JWT} after refresh`,
    `token expired: ${JWT}`,
    `jwt=${JWT}`,
    `callback ?state=x#access_token=${JWT}`,
    `sent "${JWT}" to the portal`,
  ])('redacts a JSON Web Token: %s', (text) => {
    gone(text, JWT);
  });

  it('redacts a bearer token that is not a JWT', () => {
    gone(
      'calling partner API with bearer sk_live_51H8s7e2Q0aBcDeFgHiJkL',
      'sk_live_51H8s7e2Q0aBcDeFgHiJkL',
    );
  });

  it('redacts a Basic credential after the word Basic (it decodes to user:password)', () => {
    gone(`login failed, header was Basic ${BASIC}`, BASIC);
  });
});

describe('found by a review of the first version', () => {
  it('a JWT longer than 4096 characters (large group claims) is redacted whole', () => {
    const claims = Buffer.from(
      JSON.stringify({ name: 'Jane Doe', groups: 'g'.repeat(6000) }),
    ).toString('base64url');
    const token = `eyJhbGciOiJIUzI1NiJ9.${claims}.c2lnbmF0dXJlMTIz`;
    const r2 = createRedactor({ maxStringLength: 100_000 });
    for (const text of [`jwt=${token}`, `Authorization: Bearer ${token}`]) {
      const out = r2.string(text);
      expect(out).not.toContain(claims.slice(0, 20));
      expect(out).not.toContain(claims.slice(-20));
    }
  });

  it.each([
    ['Basic amRvZTpww6Rzc3fDtnJ0', 'amRvZTpww6Rzc3fDtnJ0'], // jdoe:pässwört in UTF-8
    ['sent Basic amRvZTpzZWNyZXQ', 'amRvZTpzZWNyZXQ'], // no digit, @, ?, = or . in the text
    ['X-Authorization: Bearer abcdefghijklmnopqrstuvwxyz', 'abcdefghijklmnopqrstuvwxyz'],
    ['Bearer: abcdef123456789', 'abcdef123456789'],
    ['bearer=abcdef123456789', 'abcdef123456789'],
    ['Authorization: ApiKey abc123def456ghi789', 'abc123def456ghi789'],
  ])('%s', (text, secret) => {
    expect(r.string(text)).not.toContain(secret);
  });
});

describe('ordinary words are kept', () => {
  it.each([
    'basic metabolic panel ordered',
    'Basic metabolic panel: normal',
    'Bearer token expired, refreshing',
    'the bearer of this card is covered',
    'token bucket refilled with 10 tokens',
    'Basic authentication is disabled for this client',
    'eyJ is how a JWT starts',
  ])('%s', (text) => {
    expect(r.string(text)).toBe(text);
  });
});

describe('through the logger', () => {
  it('writes neither the credential nor the token of a header line in a message', () => {
    const lines: string[] = [];
    const { Writable } = require('node:stream') as typeof import('node:stream');
    const winston = require('winston') as typeof import('winston');
    const log = new SafeLogger('auth-test', {
      transports: [
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk, _enc, cb) {
              lines.push(String(chunk));
              cb();
            },
          }),
        }),
      ],
    });
    log.warn(`upstream 401, sent Authorization: Basic ${BASIC}`, { detail: `Bearer ${JWT}` });
    const out = lines.join('');
    expect(out).toContain('upstream 401');
    expect(out).not.toContain(BASIC);
    expect(out).not.toContain(JWT.slice(0, 20));
  });
});
