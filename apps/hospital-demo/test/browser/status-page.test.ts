import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '@resil/testkit';
import { type Browser, chromium } from 'playwright-core';
import request from 'supertest';
import { ADMIN, auth, type Harness, startHarness } from '../helpers';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

describe('/status in headless Chromium', () => {
  let h: Harness;
  let server: Server;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    h = await startHarness();
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

  it('shows each breaker state as text, live, with no console error and no CSP violation', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning')
        problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.exposeFunction('reportCspViolation', (directive: string) =>
      problems.push(`CSP violation: ${directive}`),
    );
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { reportCspViolation(d: string): void }).reportCspViolation(
          e.violatedDirective,
        );
      });
    });

    const response = await page.goto(`${base}/status`);
    expect(response?.status()).toBe(200);
    const createRow = page.locator('tr[data-breaker="hospital-api.create"]');
    await createRow.waitFor();
    expect(await createRow.locator('.state').textContent()).toBe('closed');
    expect(await page.locator('tr[data-breaker]').count()).toBe(4);
    expect(await page.locator('#limits').textContent()).toContain('outbound (to the registry)');

    // The page refreshes itself: force the breaker open and watch the text change.
    await request(h.app)
      .post('/admin/breakers/hospital-api.create/open')
      .set(auth(ADMIN))
      .expect(200);
    await page.waitForFunction(
      () =>
        document.querySelector('tr[data-breaker="hospital-api.create"] .state')?.textContent ===
        'open',
    );
    const colour = await createRow
      .locator('.state')
      .evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(colour).toBe('rgb(251, 217, 217)');

    expect(problems).toEqual([]);
    await page.close();
  });

  it('an injected inline script is blocked by the page CSP (the policy is really enforced)', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    await page.exposeFunction('reportCspViolation', (d: string) => violations.push(d));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { reportCspViolation(d: string): void }).reportCspViolation(
          e.violatedDirective,
        );
      });
    });
    await page.goto(`${base}/status`);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true;';
      document.body.appendChild(s);
    });
    const ran = await page.evaluate(
      () => (window as unknown as { __inlineRan?: boolean }).__inlineRan,
    );
    expect(ran).toBeUndefined();
    await waitFor(() => violations.length > 0);
    expect(violations[0]).toMatch(/^script-src/);
    await page.close();
  });
});
