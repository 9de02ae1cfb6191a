import fs from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { sanitizeInput } from '../../src';
import { ATTACKS, BENIGN } from '../attacks';

const CHROMIUM = '/usr/bin/chromium';

// Launching Chromium and rendering a fixed page took over the default 30 s on a loaded 2-core
// machine; nothing here can hang for longer than Chromium itself does.
jest.setTimeout(120_000);

/** Escapes nothing: the sanitised text goes into the page raw, as the guarantee says it may. */
function page(outputs: string[]): string {
  const cells = outputs
    .map(
      (o, i) =>
        `<div id="t${i}" class="text">${o}</div><div id="a${i}" class="attr" title="${o}">x</div><input id="v${i}" class="value" value="${o}">`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><script>window.__pwned = 0; window.alert = window.confirm = window.prompt = () => { window.__pwned++; };</script></head><body>${cells}</body></html>`;
}

describe('sanitizeInput output rendered raw in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    if (!fs.existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)`,
      );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it(`${ATTACKS.length} attacks: in text content and double-quoted attributes nothing runs and no element or attribute appears`, async () => {
    const outputs = ATTACKS.map(sanitizeInput);
    const p = await browser.newPage();
    let dialogs = 0;
    p.on('dialog', async (d) => {
      dialogs++;
      await d.dismiss();
    });
    await p.setContent(page(outputs), { waitUntil: 'load' });
    // focus and hover every cell, so that focus/mouse handlers would fire if any existed
    for (let i = 0; i < outputs.length; i++) {
      await p.focus(`#v${i}`);
      await p.hover(`#a${i}`);
    }
    const report = await p.evaluate((n) => {
      const bad: string[] = [];
      for (let i = 0; i < n; i++) {
        const shaped = (id: string, attributes: number) => {
          const el = document.getElementById(id);
          return el !== null && el.children.length === 0 && el.attributes.length === attributes;
        };
        if (!shaped(`t${i}`, 2)) bad.push(`text ${i}`);
        if (!shaped(`a${i}`, 3)) bad.push(`attr ${i}`);
        if (!shaped(`v${i}`, 3)) bad.push(`value ${i}`);
      }
      // every element in the body is one of ours
      const ours = document.body.querySelectorAll('.text, .attr, .value').length;
      if (document.body.querySelectorAll('*').length !== ours) bad.push('extra elements');
      return { bad, pwned: (window as unknown as { __pwned: number }).__pwned };
    }, outputs.length);
    expect(report.bad).toEqual([]);
    expect(report.pwned).toBe(0);
    expect(dialogs).toBe(0);
    await p.close();
  });

  it('benign inputs render as exactly their text', async () => {
    const inputs = BENIGN.filter((b) => !b.includes('\n') && !b.includes('\t'));
    const p = await browser.newPage();
    await p.setContent(page(inputs.map(sanitizeInput)), { waitUntil: 'load' });
    const seen = await p.evaluate(
      (n) =>
        Array.from({ length: n }, (_, i) => ({
          text: document.getElementById(`t${i}`)?.textContent,
          title: document.getElementById(`a${i}`)?.getAttribute('title'),
          value: (document.getElementById(`v${i}`) as HTMLInputElement | null)?.value,
        })),
      inputs.length,
    );
    seen.forEach((s, i) => {
      const expected = inputs[i];
      expect(s).toEqual({ text: expected, title: expected, value: expected });
    });
    await p.close();
  });
});
