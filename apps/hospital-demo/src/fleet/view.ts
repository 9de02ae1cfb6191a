import { HEARTBEAT_MS, HEARTBEAT_TTL_MS, type Heartbeat, MAX_WORKERS } from './heartbeat';
import type { FleetView } from './index';
import { dense, MAX_BREAKERS, type Series, type Sparse, WINDOW_S } from './ring';
import { bandChart, escapeHtml as esc, type Line, lineChart } from './svg';

const STATE_TEXT: Record<string, string> = {
  closed: 'closed',
  open: 'open',
  halfOpen: 'half-open',
};

/** `sp` of series `s` placed on the WINDOW_S seconds that end with epoch second `end`. */
function aligned(sp: Sparse, s: Series, end: number): number[] {
  const out = new Array<number>(WINDOW_S).fill(0);
  const values = dense(sp, s.len);
  values.forEach((v, k) => {
    const i = WINDOW_S - 1 - (end - (s.end - s.len + 1 + k));
    if (i >= 0 && i < WINDOW_S) out[i] = v;
  });
  return out;
}

function alignedStates(states: string, s: Series, end: number): string {
  const out = new Array<string>(WINDOW_S).fill('.');
  for (let k = 0; k < states.length; k++) {
    const i = WINDOW_S - 1 - (end - (s.end - s.len + 1 + k));
    if (i >= 0 && i < WINDOW_S) out[i] = states[k] as string;
  }
  // The last known state carries to "now" (a heartbeat is up to HEARTBEAT_MS old).
  for (let i = 1; i < WINDOW_S; i++)
    if (out[i] === '.' && out[i - 1] !== '.' && i > WINDOW_S - 8) out[i] = out[i - 1] as string;
  return out.join('');
}

const add = (a: number[], b: number[]) => a.map((v, i) => v + (b[i] ?? 0));
const zeros = () => new Array<number>(WINDOW_S).fill(0);

function total(view: FleetView, end: number, pick: (s: Series) => Sparse | undefined): number[] {
  return view.workers.reduce((acc, w) => {
    const sp = pick(w.series);
    return sp ? add(acc, aligned(sp, w.series, end)) : acc;
  }, zeros());
}

function workerLabel(w: Heartbeat, view: FleetView): string {
  return `worker ${w.worker}${w.id === view.self ? ' (this one)' : ''}`;
}

function note(view: FleetView): string {
  if (!view.shared)
    return 'No Redis: this process only (each worker would keep its own state; set REDIS_URL to see the fleet).';
  const n = view.workers.length;
  let text = `${n} worker${n === 1 ? '' : 's'} alive, sharing state through Redis (heartbeat every ${HEARTBEAT_MS / 1000} s; a worker silent for ${HEARTBEAT_TTL_MS / 1000} s drops off).`;
  if (view.truncated) text += ` Only the ${MAX_WORKERS} most recent are listed.`;
  if (view.readFailed) text += ' Redis could not be read: only this worker is shown.';
  return text;
}

function table(view: FleetView): string {
  const rows = view.workers.map((w) => {
    const breakers = w.breakers
      .map(
        (b) =>
          `<span class="state state-${esc(b.state)}" title="${esc(b.name)}">${esc(b.name.replace(/^hospital-api\./, ''))} ${esc(STATE_TEXT[b.state] ?? b.state)}</span>`,
      )
      .join(' ');
    const age = Math.max(0, (view.now - w.at) / 1000).toFixed(1);
    return `<tr data-worker="${esc(w.worker)}" data-id="${esc(w.id)}"><td>${esc(workerLabel(w, view))}<br><small>${esc(w.id)}</small></td><td>${age} s ago</td><td class="link link-${w.redis}">${w.redis}</td><td>${breakers}</td><td>${w.outbound.used} of ${w.outbound.limit} per ${w.outbound.windowMs} ms</td><td>${w.totals.retries}</td><td>${w.totals.inbound429}</td></tr>`;
  });
  return `<table class="fleet"><thead><tr><th>worker</th><th>heartbeat</th><th>Redis link</th><th>breakers</th><th>outbound in window</th><th>retries</th><th>429s</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function figure(chart: string, caption: string, body: string, extra = ''): string {
  return `<figure class="chart" data-chart="${chart}"${extra}><figcaption>${esc(caption)}</figcaption>${body}</figure>`;
}

/** The fleet section of /status: a table of workers, then the charts of the last 10 minutes. */
export function renderFleet(view: FleetView): string {
  const end = Math.floor(view.now / 1000);
  const names: string[] = [];
  for (const w of view.workers) {
    for (const b of w.series.breakers)
      if (!names.includes(b.name) && names.length < MAX_BREAKERS) names.push(b.name);
  }
  const breakerCharts = names.map((name) => {
    const rows = view.workers.flatMap((w) => {
      const b = w.series.breakers.find((x) => x.name === name);
      return b ? [{ label: `w ${w.worker}`, states: alignedStates(b.states, w.series, end) }] : [];
    });
    const of = (f: 'calls' | 'failures') =>
      total(view, end, (s) => s.breakers.find((x) => x.name === name)?.[f]);
    const lines: Line[] = [
      { name: 'calls/s', cls: 's-calls', values: of('calls') },
      { name: 'failures/s', cls: 's-failures', values: of('failures') },
    ];
    return figure(
      'breaker',
      `${name}: state per worker (green closed, amber half-open, red open), calls and failures per second`,
      bandChart(`${name} state`, rows) + lineChart(`${name} calls and failures per second`, lines),
      ` data-breaker="${esc(name)}"`,
    );
  });
  const ob = view.workers[0]?.outbound;
  const limitPerS = ob ? (ob.limit * 1000) / ob.windowMs : undefined;
  const reasons = [...new Set(view.workers.flatMap((w) => Object.keys(w.series.retries)))].slice(
    0,
    9,
  );
  const charts = [
    figure(
      'outbound',
      'Outbound limiter: grants per second (all workers) against its limit',
      lineChart(
        'outbound grants per second',
        [{ name: 'grants/s', cls: 's-grants', values: total(view, end, (s) => s.grants) }],
        limitPerS,
      ),
    ),
    figure(
      'retries',
      'Retries per second, by reason',
      lineChart(
        'retries per second by reason',
        reasons.map((r, i) => ({
          name: r,
          cls: `s-r${i}`,
          values: total(view, end, (s) => s.retries[r]),
        })),
      ),
    ),
    figure(
      'idempotency',
      'Idempotency: executed, replayed, conflict per second',
      lineChart('idempotency outcomes per second', [
        { name: 'executed', cls: 's-executed', values: total(view, end, (s) => s.executed) },
        { name: 'replayed', cls: 's-replayed', values: total(view, end, (s) => s.replayed) },
        { name: 'conflict', cls: 's-conflict', values: total(view, end, (s) => s.conflict) },
      ]),
    ),
    figure(
      'inbound',
      'Inbound 429s per second',
      lineChart('inbound 429 per second', [
        { name: '429/s', cls: 's-429', values: total(view, end, (s) => s.inbound429) },
      ]),
    ),
  ];
  return `<div id="fleet-view" data-workers="${view.workers.length}" data-shared="${view.shared}"><p class="fleet-note">${esc(note(view))}</p>${table(view)}<h3>Last 10 minutes</h3>${breakerCharts.join('')}${charts.join('')}</div>`;
}
