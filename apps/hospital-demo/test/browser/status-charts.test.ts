import fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { waitFor } from '@resil/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import request from 'supertest';
import { ALICE, auth, type Harness, hospital, newKey, startHarness } from '../helpers';
import { ARGS, CHROMIUM, watchProblems } from './page-watch';

/** Where the screenshot goes (a test artefact; docs/status.png is a copy of one). */
const ARTEFACTS = path.join(__dirname, '..', '..', '.test-results');
const CREATE = 'figure[data-breaker="hospital-api.create"]';

/** The create breaker's bands, left to right, as the page shows them now. */
const bandsOf = (page: Page) =>
  page.$$eval(`${CREATE} rect.band`, (rects) =>
    rects
      .map((r) => ({ x: Number(r.getAttribute('x')), state: r.getAttribute('data-state') }))
      .sort((a, b) => a.x - b.x)
      .map((r) => r.state),
  );

describe('/status charts in headless Chromium, through the tour’s fault steps', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    // The tour's steps 4 and 5 with a short reset timeout: 2 failed calls open the breaker.
    h = await startHarness({ BREAKER_RESET_TIMEOUT_MS: '1500' });
    server = await new Promise<Server>((resolve) => {
      const s = h.app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await h.close();
  });

  const create = () =>
    request(h.app)
      .post('/hospitals')
      .set(auth(ALICE))
      .set('Idempotency-Key', newKey())
      .send(hospital());

  it('the breaker band turns open, then closed again, live; charts have data; no console error or CSP violation', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1800 } });
    const problems = await watchProblems(page);
    expect((await page.goto(`${base}/status`))?.status()).toBe(200);
    await page.locator(CREATE).waitFor();
    expect(await bandsOf(page)).toEqual(['closed']);

    // step 1-2: a create and its replay; step 4: the registry fails, the breaker opens
    const key = newKey();
    for (let i = 0; i < 2; i++) {
      await request(h.app)
        .post('/hospitals')
        .set(auth(ALICE))
        .set('Idempotency-Key', key)
        .send(hospital())
        .expect(201);
    }
    h.registry.state.setFaults({ errorRate: 1, errorStatus: 503 });
    for (let i = 0; i < 2; i++) await create().expect(502);
    await create().expect(503);
    // the page refreshes itself (status.js swaps in /status/fleet): the band turns red
    await page.waitForFunction(
      (sel) =>
        document.querySelector(`${sel} rect.band:last-of-type`)?.getAttribute('data-state') ===
        'open',
      CREATE,
      { timeout: 20_000 },
    );

    // step 5: the registry recovers; after the reset timeout one probe closes the breaker
    h.registry.state.reset();
    await waitFor(async () => (await create()).status === 201, { timeoutMs: 15_000 });
    await page.waitForFunction(
      (sel) =>
        document.querySelector(`${sel} rect.band:last-of-type`)?.getAttribute('data-state') ===
        'closed',
      CREATE,
      { timeout: 20_000 },
    );
    const bands = await bandsOf(page);
    expect(bands[0]).toBe('closed');
    expect(bands).toContain('open');
    expect(bands.indexOf('open')).toBeLessThan(bands.lastIndexOf('closed'));

    // the charts carry the traffic: calls and failures, grants, retries, idempotency outcomes
    const total = (chart: string, series: string) =>
      page.$eval(`figure[data-chart="${chart}"] polyline[data-series="${series}"]`, (el) =>
        Number(el.getAttribute('data-total')),
      );
    expect(
      await page.$eval(`${CREATE} polyline[data-series="failures/s"]`, (el) =>
        Number(el.getAttribute('data-total')),
      ),
    ).toBeGreaterThanOrEqual(2);
    expect(
      await page.$eval(`${CREATE} polyline[data-series="calls/s"]`, (el) =>
        Number(el.getAttribute('data-total')),
      ),
    ).toBeGreaterThanOrEqual(4);
    expect(await total('outbound', 'grants/s')).toBeGreaterThan(4);
    expect(await total('idempotency', 'executed')).toBeGreaterThanOrEqual(2);
    expect(await total('idempotency', 'replayed')).toBe(1);
    expect(await page.locator('figure[data-chart="retries"] polyline').count()).toBeGreaterThan(0);
    expect(await page.locator('#fleet-view').getAttribute('data-shared')).toBe('false');
    expect(await page.locator('.fleet-note').textContent()).toContain(
      'No Redis: this process only',
    );

    fs.mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTEFACTS, 'status.png'), fullPage: true });
    expect(fs.statSync(path.join(ARTEFACTS, 'status.png')).size).toBeGreaterThan(10_000);
    expect(problems).toEqual([]);
    expect(await page.content()).not.toMatch(/St Mary|Main Street|alice|hosp_/);
    await page.close();
  }, 90_000);

  it('with JavaScript off the page still shows the charts (server-rendered SVG)', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    expect((await page.goto(`${base}/status`))?.status()).toBe(200);
    expect(await page.locator(`${CREATE} svg rect.band`).count()).toBeGreaterThan(0);
    expect(await page.locator('figure[data-chart] svg').count()).toBeGreaterThanOrEqual(8);
    await context.close();
  });
});
