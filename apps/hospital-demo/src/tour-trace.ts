import { randomUUID } from 'node:crypto';
import type { SpanView } from './telemetry/tracing';
import { bold, check, dim, say, watch } from './tour-kit';

/** What `GET /traces/:requestId` answers. */
export interface TraceJson {
  traceId: string;
  spans: SpanView[];
}

type Create = (
  key: string,
  name?: string,
  requestId?: string,
) => Promise<{ status: number; ms: number }>;

const RESEND = 'http.request.resend_count';

/** The spans as a tree, one line each, their span events under them. */
export function renderTrace(t: TraceJson): string[] {
  const ids = new Set(t.spans.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (s: SpanView, depth: number) => {
    const pad = '   '.repeat(depth + 2);
    const a = s.attributes;
    const parts = [
      bold(s.name),
      a['http.response.status_code'] !== undefined ? String(a['http.response.status_code']) : '',
      s.status === 'error' ? `error ${String(a['error.type'] ?? '')}` : '',
      `${s.durationMs} ms`,
      a[RESEND] !== undefined ? `${RESEND}=${String(a[RESEND])}` : '',
    ];
    lines.push(`${pad}${parts.filter(Boolean).join('  ')}`);
    for (const e of s.events) {
      const by = e.attributes['strategy.name'];
      lines.push(dim(`${pad}   · ${e.name}${by ? ` (${String(by)})` : ''} at +${e.atMs} ms`));
    }
    for (const child of t.spans.filter((c) => c.parentSpanId === s.spanId)) walk(child, depth + 1);
  };
  for (const root of t.spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId)))
    walk(root, 0);
  return lines;
}

/**
 * The tour's trace step: one create whose first registry attempt fails, then its trace read
 * from the operator endpoint and shown as a tree.
 */
export async function traceStep(o: {
  step: number;
  opsUrl: string;
  faults: (patch: Record<string, unknown>) => Promise<void>;
  create: Create;
  trace: (requestId: string) => Promise<TraceJson | undefined>;
}): Promise<void> {
  say(`\n${bold(`${o.step}. Follow one request through the layers`)} (its OpenTelemetry trace)`);
  say(
    `   expected: the registry fails the first create attempt with 503; retry resends it (${RESEND}=1 on the hospital-api.create span, a "retry" span event) and the second attempt succeeds; the request span carries the inbound limiter's and idempotency's decisions`,
  );
  watch(
    '"Retries per second, by reason" shows one http_503 retry; the create breaker stays green (one failed attempt is not a failed call)',
  );
  await o.faults({ failNext: 1 });
  const requestId = `tour-${randomUUID()}`;
  const res = await o.create(randomUUID(), 'Traced Hospital', requestId);
  const t = await o.trace(requestId);
  say(dim(`   ${o.opsUrl}/traces/${requestId}`));
  for (const line of t ? renderTrace(t) : []) say(line);
  const create = t?.spans.find((s) => s.name.endsWith('.create'));
  const attempts = t?.spans.filter((s) => s.parentSpanId === create?.spanId) ?? [];
  const server = t?.spans.find((s) => s.attributes['demo.request_id'] === requestId);
  check(
    '201 after one resend, both attempts in the trace',
    res.status === 201 &&
      create?.attributes[RESEND] === 1 &&
      attempts.map((a) => a.attributes['http.response.status_code']).join(',') === '503,201',
    `${res.status} in ${res.ms} ms; ${RESEND}=${String(create?.attributes[RESEND])}; attempts answered ${attempts.map((a) => a.attributes['http.response.status_code']).join(', ')}`,
  );
  const names = (s?: SpanView) => s?.events.map((e) => e.name) ?? [];
  check(
    'the layers’ decisions are span events',
    names(create).includes('retry') &&
      names(server).includes('allowed') &&
      names(server).includes('executed'),
    `request span: ${names(server).join(', ') || 'none'}; hospital-api.create: ${names(create).join(', ') || 'none'}`,
  );
}
