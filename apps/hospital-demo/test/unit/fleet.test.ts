import {
  emptySeries,
  encodeHeartbeat,
  type Heartbeat,
  MAX_HEARTBEAT_BYTES,
  parseHeartbeat,
} from '../../src/fleet/heartbeat';
import { dense, MAX_BREAKERS, MAX_REASONS, SecondRing, WINDOW_S } from '../../src/fleet/ring';
import { bandChart, lineChart } from '../../src/fleet/svg';

const clock = (start = 1_700_000_000_000) => {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('SecondRing: the last 10 minutes, per second, bounded', () => {
  it('counts per second, keeps the worst breaker state of a second and carries it on', () => {
    const c = clock();
    const ring = new SecondRing(c.now);
    ring.breakerState('b', 'closed');
    ring.breakerCall('b', false);
    c.advance(1_000);
    ring.breakerState('b', 'open');
    ring.breakerState('b', 'halfOpen'); // same second: open is what the band shows
    ring.breakerCall('b', true);
    ring.breakerCall('b', true);
    c.advance(3_000);
    ring.breakerState('b', 'closed');
    ring.count('grants');
    const s = ring.series(5);
    expect(s.breakers[0]?.states).toBe('cooo' + 'c'); // closed, open, open carried twice, closed
    expect(dense(s.breakers[0]?.calls ?? [], 5)).toEqual([1, 2, 0, 0, 0]);
    expect(dense(s.breakers[0]?.failures ?? [], 5)).toEqual([0, 2, 0, 0, 0]);
    expect(dense(s.grants, 5)).toEqual([0, 0, 0, 0, 1]);
  });

  it('forgets what is older than WINDOW_S seconds (a slot is reused, not appended)', () => {
    const c = clock();
    const ring = new SecondRing(c.now);
    ring.count('inbound429');
    c.advance(WINDOW_S * 1_000);
    ring.count('executed');
    const s = ring.series();
    expect(s.len).toBe(WINDOW_S);
    expect(s.inbound429).toEqual([]);
    expect(s.executed).toEqual([WINDOW_S - 1, 1]);
  });

  it('bounds breakers and retry reasons (later reasons count as "other")', () => {
    const ring = new SecondRing(clock().now);
    for (let i = 0; i < MAX_BREAKERS + 5; i++) ring.breakerCall(`b${i}`, false);
    for (let i = 0; i < MAX_REASONS + 3; i++) ring.retry(`r${i}`);
    const s = ring.series();
    expect(s.breakers).toHaveLength(MAX_BREAKERS);
    expect(Object.keys(s.retries)).toHaveLength(MAX_REASONS + 1);
    expect(dense(s.retries.other ?? [], WINDOW_S)[WINDOW_S - 1]).toBe(3);
  });
});

describe('heartbeats', () => {
  const hb = (ring: SecondRing): Heartbeat => ({
    v: 1,
    id: 'host:1',
    worker: '1',
    at: 1,
    redis: 'ok',
    breakers: [{ name: 'b', state: 'closed', failures: 0, threshold: 5 }],
    outbound: { limit: 10, windowMs: 1000, used: 0, refused: 0 },
    totals: { retries: 0, inbound429: 0 },
    series: ring.series(),
  });

  it('stay under MAX_HEARTBEAT_BYTES however busy the worker was (fewer seconds kept)', () => {
    const c = clock();
    const ring = new SecondRing(c.now);
    for (let s = 0; s < WINDOW_S; s++) {
      for (let b = 0; b < MAX_BREAKERS; b++) {
        ring.breakerState(`hospital-api.breaker-with-a-long-name-${b}`, s % 2 ? 'open' : 'closed');
        ring.breakerCall(`hospital-api.breaker-with-a-long-name-${b}`, true);
      }
      for (let r = 0; r < MAX_REASONS + 1; r++) ring.retry(`reason-${r}`);
      c.advance(1_000);
    }
    const full = hb(ring);
    expect(Buffer.byteLength(JSON.stringify(full))).toBeGreaterThan(MAX_HEARTBEAT_BYTES);
    const text = encodeHeartbeat(full, (len) => ring.series(len));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_HEARTBEAT_BYTES);
    const back = parseHeartbeat(text);
    expect(back?.series.len).toBeLessThan(WINDOW_S);
    expect(back?.series.len).toBeGreaterThan(0);
  });

  it('a reader refuses what is not a heartbeat (wrong shape, oversized, not JSON)', () => {
    const ok = JSON.stringify(hb(new SecondRing(clock().now)));
    expect(parseHeartbeat(ok)?.worker).toBe('1');
    expect(parseHeartbeat('not json')).toBeUndefined();
    expect(parseHeartbeat(null)).toBeUndefined();
    expect(parseHeartbeat(JSON.stringify({ ...JSON.parse(ok), v: 2 }))).toBeUndefined();
    expect(parseHeartbeat(JSON.stringify({ ...JSON.parse(ok), redis: 'maybe' }))).toBeUndefined();
    const states = { name: 'b', states: 'c', calls: [], failures: [] }; // 1 char for 2 seconds
    const bad = { ...JSON.parse(ok), series: { ...emptySeries(1), len: 2, breakers: [states] } };
    expect(parseHeartbeat(JSON.stringify(bad))).toBeUndefined();
    expect(parseHeartbeat(`${ok}${' '.repeat(MAX_HEARTBEAT_BYTES)}`)).toBeUndefined();
  });
});

describe('SVG charts', () => {
  it('one rect per run of a state, names escaped, no inline style', () => {
    const svg = bandChart('<b>', [{ label: 'w <1>', states: 'ccoohcc..' }]);
    expect(svg.match(/data-state="[a-zA-Z]+"/g)).toEqual([
      'data-state="closed"',
      'data-state="open"',
      'data-state="halfOpen"',
      'data-state="closed"',
    ]);
    expect(svg).toContain('w &lt;1&gt;');
    expect(svg).not.toContain('<b>');
    const lines = lineChart('t', [{ name: 'x"y', cls: 's-calls', values: [0, 2, 1] }], 4);
    expect(lines).toContain('data-total="3"');
    expect(lines).toContain('class="limit"');
    expect(`${svg}${lines}`).not.toMatch(/style=|<script/);
  });
});
