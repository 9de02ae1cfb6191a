/**
 * Server-rendered SVG charts of the last 10 minutes (one x unit per second). No inline style (the
 * page's CSP has no 'unsafe-inline'): colours come from classes in /status.css, and the charts
 * are plain markup, readable with JavaScript off.
 */

const LEFT = 44;
const RIGHT = 8;
const ROW = 12;
const PLOT_H = 80;

export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  );
}

const STATE_NAMES: Record<string, string> = { c: 'closed', h: 'halfOpen', o: 'open' };

function xAxis(width: number, y: number): string {
  const seconds = width;
  const ticks = [0, 0.5, 1].map((f) => {
    const x = LEFT + f * seconds;
    const label = f === 1 ? 'now' : `-${Math.round(((1 - f) * seconds) / 60)} min`;
    return `<text class="tick" x="${x}" y="${y}" text-anchor="${f === 0 ? 'start' : f === 1 ? 'end' : 'middle'}">${label}</text>`;
  });
  return ticks.join('');
}

/** One band per row (a worker), a rect per run of the same state; '.' (unknown) is left blank. */
export function bandChart(title: string, rows: Array<{ label: string; states: string }>): string {
  const width = Math.max(1, ...rows.map((r) => r.states.length));
  const height = rows.length * (ROW + 4);
  const parts: string[] = [];
  rows.forEach((row, i) => {
    const y = i * (ROW + 4);
    parts.push(
      `<text class="label" x="${LEFT - 4}" y="${y + ROW - 2}" text-anchor="end">${escapeHtml(row.label)}</text>`,
    );
    let start = 0;
    for (let k = 1; k <= row.states.length; k++) {
      const ch = row.states[start] as string;
      if (k < row.states.length && row.states[k] === ch) continue;
      const name = STATE_NAMES[ch];
      if (name) {
        parts.push(
          `<rect class="band band-${name}" data-state="${name}" x="${LEFT + start}" y="${y}" width="${k - start}" height="${ROW}"><title>${name}, ${k - start} s</title></rect>`,
        );
      }
      start = k;
    }
  });
  // The time axis is the line chart's, right below (same x scale).
  return svg(title, LEFT + width + RIGHT, height, parts.join(''), 'bands');
}

export interface Line {
  name: string;
  /** A class of /status.css that colours the line and its legend. */
  cls: string;
  values: number[];
}

/** Lines of per-second values, and optionally a dashed ceiling (`limit`). */
export function lineChart(title: string, lines: Line[], limit?: number): string {
  const width = Math.max(1, ...lines.map((l) => l.values.length));
  const peak = Math.max(1, limit ?? 0, ...lines.flatMap((l) => l.values));
  const yOf = (v: number) => (PLOT_H - (v / peak) * PLOT_H).toFixed(1);
  const parts: string[] = [
    `<line class="axis" x1="${LEFT}" y1="${PLOT_H}" x2="${LEFT + width}" y2="${PLOT_H}"/>`,
    `<text class="tick" x="${LEFT - 4}" y="10" text-anchor="end">${fmt(peak)}/s</text>`,
    `<text class="tick" x="${LEFT - 4}" y="${PLOT_H}" text-anchor="end">0</text>`,
  ];
  if (limit !== undefined) {
    parts.push(
      `<line class="limit" x1="${LEFT}" y1="${yOf(limit)}" x2="${LEFT + width}" y2="${yOf(limit)}"><title>limit ${fmt(limit)}/s</title></line>`,
    );
  }
  for (const l of lines) {
    const pts = l.values.map((v, k) => `${LEFT + k},${yOf(v)}`).join(' ');
    parts.push(
      `<polyline class="line ${l.cls}" data-series="${escapeHtml(l.name)}" data-total="${sum(l.values)}" points="${pts}"/>`,
    );
  }
  parts.push(xAxis(width, PLOT_H + 14));
  const legend = lines
    .map(
      (l) =>
        `<li class="${l.cls}"><span class="swatch"></span>${escapeHtml(l.name)}: ${sum(l.values)} in 10 min, peak ${fmt(Math.max(0, ...l.values))}/s</li>`,
    )
    .concat(
      limit === undefined
        ? []
        : [`<li class="limit"><span class="swatch"></span>limit ${fmt(limit)}/s</li>`],
    )
    .join('');
  return `${svg(title, LEFT + width + RIGHT, PLOT_H + 18, parts.join(''), 'lines')}<ul class="legend">${legend}</ul>`;
}

function svg(title: string, w: number, h: number, body: string, kind: string): string {
  return `<svg class="chart-${kind}" viewBox="0 0 ${w} ${h}" role="img" aria-label="${escapeHtml(title)}" xmlns="http://www.w3.org/2000/svg"><title>${escapeHtml(title)}</title>${body}</svg>`;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
