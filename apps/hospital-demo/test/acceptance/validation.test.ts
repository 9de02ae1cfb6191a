import request from 'supertest';
import type { HandlerInput } from '../../src/app';
import { ALICE, auth, type Harness, hospital, newKey, startHarness } from '../helpers';

/**
 * Issue #23 finding 8 (the demo's part): length was checked before sanitising, so a name that
 * sanitises to nothing reached the registry (502 instead of 422), and names made only of
 * invisible characters were accepted.
 */
describe('POST /hospitals validates what is left after sanitising', () => {
  let h: Harness;
  const inputs: HandlerInput[] = [];
  beforeAll(async () => {
    h = await startHarness(
      { INBOUND_RATE_LIMIT: '1000000' },
      {},
      { onInput: (i) => inputs.push(i) },
    );
  });
  afterAll(async () => {
    await h.close();
  });
  beforeEach(() => {
    h.registry.state.reset({ counters: true });
    inputs.length = 0;
  });

  const create = (body: Record<string, unknown>) =>
    request(h.app).post('/hospitals').set(auth(ALICE)).set('Idempotency-Key', newKey()).send(body);

  function expect422(res: request.Response, field: string): void {
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect((res.body.errors as Array<{ field: string }>).map((e) => e.field)).toContain(field);
    expect(h.registry.state.counters.received.create).toBe(0);
  }

  it('answers 422 for a name that sanitises to nothing only on the second pass ("<-</>"), without calling the registry', async () => {
    expect422(await create(hospital({ name: '<-</>' })), 'name');
    expect422(await create(hospital({ address: '<-</>' })), 'address');
  });

  it.each([
    ['zero-width space', '\u200b'],
    ['right-to-left override', '\u202e'],
    ['zero-width space and RLO', '\u200b\u202e\u200b'],
    ['byte order mark and word joiner', '\ufeff\u2060'],
    ['soft hyphen between spaces', ' \u00ad '],
    ['no-break and ideographic spaces', '\u00a0\u3000'],
    ['Hangul filler', '\u3164\u3164'],
    ['a combining accent alone', '\u0301'],
    ['variation selector', '\ufe0f'],
    ['tag characters', '\u{e0041}\u{e0042}'],
    ['blank Braille pattern', '\u2800'],
    ['markup around invisible characters', '<b>\u200b</b>'],
  ])('answers 422 for a name made only of invisible characters: %s', async (_label, name) => {
    expect422(await create(hospital({ name })), 'name');
  });

  it.each([
    ['Persian with a zero-width non-joiner', 'بیمارستان\u200cها'],
    ['an emoji sequence with a zero-width joiner', 'Clinic 👩\u200d⚕️'],
    ['accents as combining marks', 'Jose\u0301'],
    ["O'Brien & Sons", "O'Brien & Sons"],
  ])('accepts a visible name with such characters inside: %s', async (_label, name) => {
    const res = await create(hospital({ name }));
    expect(res.status).toBe(201);
  });

  it('sends the registry the sanitised, trimmed value that was validated', async () => {
    const res = await create(hospital({ name: '  <b>General</b>  ' }));
    expect(res.status).toBe(201);
    expect(h.registry.state.hospitals.get(res.body.id)?.name).toBe('General');
  });

  it('counts the length after sanitising: 200 visible characters wrapped in markup pass, 201 do not', async () => {
    const ok = await create(hospital({ name: `<b>${'a'.repeat(200)}</b>` }));
    expect(ok.status).toBe(201);
    h.registry.state.reset({ counters: true });
    expect422(await create(hospital({ name: 'a'.repeat(201) })), 'name');
  });
});

describe('no operator or prototype key reaches a handler, whatever the sanitiser lets through', () => {
  let h: Harness;
  const inputs: HandlerInput[] = [];
  beforeAll(async () => {
    h = await startHarness(
      { INBOUND_RATE_LIMIT: '1000000' },
      {},
      { onInput: (i) => inputs.push(i) },
    );
  });
  afterAll(async () => {
    await h.close();
  });

  const hidden = (v: unknown): boolean => JSON.stringify(v).match(/"\$|__proto__|isAdmin/) !== null;

  it.each([
    [
      'a key that becomes $ne once its markup is removed',
      '{"name":"St Mary","address":"1 Main","<x>$ne":1}',
    ],
    [
      'a key that becomes __proto__ once its markup is removed',
      '{"name":"St Mary","address":"1 Main","__<b>proto__":{"isAdmin":true}}',
    ],
  ])('body: %s', async (_label, body) => {
    inputs.length = 0;
    const res = await request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', newKey())
      .set('Content-Type', 'application/json')
      .send(body);
    // Refused (400) before the handler, or handled with the key gone: never a handler with it.
    expect([201, 400]).toContain(res.status);
    expect(inputs).toHaveLength(res.status === 201 ? 1 : 0);
    for (const i of inputs) {
      expect(hidden(i.body)).toBe(false);
      expect(Object.getPrototypeOf(i.body)).toBe(Object.prototype);
      expect((i.body as { isAdmin?: unknown }).isAdmin).toBeUndefined();
    }
  });

  it('query: a parameter that becomes $where once its markup is removed', async () => {
    inputs.length = 0;
    const res = await request(h.app)
      .get('/hospitals/hosp_00000000-0000-4000-8000-000000000000?%3Cx%3E%24where=1')
      .set(auth(ALICE));
    expect([400, 404]).toContain(res.status);
    expect(inputs).toHaveLength(res.status === 404 ? 1 : 0);
    for (const i of inputs) expect(Object.keys(i.query as object)).not.toContain('$where');
  });
});
