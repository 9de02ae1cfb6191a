/**
 * The last 10 minutes of this process, one slot per second: per breaker its worst state in that
 * second, calls and failures; outbound grants; retries by reason; idempotency outcomes; inbound
 * 429s. Fed by the layers' events (src/observe.ts through src/activity.ts) and by a state tick
 * every second. Bounded: WINDOW_S slots, MAX_BREAKERS breakers and MAX_REASONS retry reasons
 * (later reasons count as "other"); names are the layers' own (no request data).
 */

export const WINDOW_S = 600;
export const MAX_BREAKERS = 16;
export const MAX_REASONS = 8;
export const MAX_NAME = 64;

/** Breaker state per second: 'c' closed, 'h' half-open, 'o' open, '.' unknown. */
export type StateChar = 'c' | 'h' | 'o' | '.';
const SEVERITY: Record<string, number> = { closed: 0, halfOpen: 1, open: 2 };
const CHARS: readonly StateChar[] = ['c', 'h', 'o'];

/** Flattened pairs [offset, value, offset, value, …]: only the seconds with a non-zero count. */
export type Sparse = number[];

export interface BreakerSeries {
  name: string;
  states: string;
  calls: Sparse;
  failures: Sparse;
}

/** `len` seconds ending with epoch second `end` (offset 0 is second `end - len + 1`). */
export interface Series {
  end: number;
  len: number;
  breakers: BreakerSeries[];
  grants: Sparse;
  retries: Record<string, Sparse>;
  executed: Sparse;
  replayed: Sparse;
  conflict: Sparse;
  inbound429: Sparse;
}

interface BreakerSlot {
  state: number;
  calls: number;
  failures: number;
}
interface Slot {
  t: number;
  breakers: Map<string, BreakerSlot>;
  grants: number;
  retries: Map<string, number>;
  executed: number;
  replayed: number;
  conflict: number;
  inbound429: number;
}

export type Counted = 'grants' | 'executed' | 'replayed' | 'conflict' | 'inbound429';

export class SecondRing {
  readonly #slots: Array<Slot | undefined> = new Array(WINDOW_S);
  readonly #now: () => number;
  readonly #breakerNames: string[] = [];
  readonly #reasons: string[] = [];

  constructor(now: () => number) {
    this.#now = now;
  }

  count(what: Counted): void {
    this.#slot()[what]++;
  }

  retry(reason: string): void {
    const r = this.#known(this.#reasons, reason, MAX_REASONS) ?? 'other';
    const m = this.#slot().retries;
    m.set(r, (m.get(r) ?? 0) + 1);
  }

  /** The worst state a breaker was in during this second (open > half-open > closed). */
  breakerState(name: string, state: string): void {
    const b = this.#breaker(name);
    if (b) b.state = Math.max(b.state, SEVERITY[state] ?? -1);
  }

  breakerCall(name: string, failed: boolean): void {
    const b = this.#breaker(name);
    if (!b) return;
    b.calls++;
    if (failed) b.failures++;
  }

  /** The last `len` seconds (at most WINDOW_S), up to and including the current one. */
  series(len = WINDOW_S): Series {
    const end = Math.floor(this.#now() / 1000);
    const n = Math.max(1, Math.min(WINDOW_S, Math.floor(len)));
    const slots = Array.from({ length: n }, (_, k) => {
      const t = end - n + 1 + k;
      const s = this.#slots[t % WINDOW_S];
      return s && s.t === t ? s : undefined;
    });
    const sparse = (f: (s: Slot) => number): Sparse =>
      slots.flatMap((s, k) => {
        const v = s ? f(s) : 0;
        return v > 0 ? [k, v] : [];
      });
    const breakers = this.#breakerNames.map((name) => {
      // A second without a recorded state carries the previous one (the state only changes by events).
      let last = -1;
      const states = slots
        .map((s) => {
          const st = s?.breakers.get(name)?.state ?? -1;
          if (st >= 0) last = st;
          return last >= 0 ? CHARS[last] : '.';
        })
        .join('');
      return {
        name,
        states,
        calls: sparse((s) => s.breakers.get(name)?.calls ?? 0),
        failures: sparse((s) => s.breakers.get(name)?.failures ?? 0),
      };
    });
    const retries: Record<string, Sparse> = {};
    for (const r of [...this.#reasons, 'other']) {
      const sp = sparse((s) => s.retries.get(r) ?? 0);
      if (sp.length > 0) retries[r] = sp;
    }
    return {
      end,
      len: n,
      breakers,
      grants: sparse((s) => s.grants),
      retries,
      executed: sparse((s) => s.executed),
      replayed: sparse((s) => s.replayed),
      conflict: sparse((s) => s.conflict),
      inbound429: sparse((s) => s.inbound429),
    };
  }

  #slot(): Slot {
    const t = Math.floor(this.#now() / 1000);
    const i = t % WINDOW_S;
    let s = this.#slots[i];
    if (!s || s.t !== t) {
      s = {
        t,
        breakers: new Map(),
        grants: 0,
        retries: new Map(),
        executed: 0,
        replayed: 0,
        conflict: 0,
        inbound429: 0,
      };
      this.#slots[i] = s;
    }
    return s;
  }

  #breaker(name: string): BreakerSlot | undefined {
    const known = this.#known(this.#breakerNames, name, MAX_BREAKERS);
    if (!known) return undefined;
    const m = this.#slot().breakers;
    let b = m.get(known);
    if (!b) {
      b = { state: -1, calls: 0, failures: 0 };
      m.set(known, b);
    }
    return b;
  }

  /** `name` (cut to MAX_NAME) if already known or if there is room for it, else undefined. */
  #known(list: string[], name: string, max: number): string | undefined {
    const n = name.slice(0, MAX_NAME);
    if (list.includes(n)) return n;
    if (list.length >= max) return undefined;
    list.push(n);
    return n;
  }
}

/** A sparse series as `len` numbers. */
export function dense(sp: Sparse, len: number): number[] {
  const out = new Array<number>(len).fill(0);
  for (let i = 0; i + 1 < sp.length; i += 2) {
    const k = sp[i] as number;
    if (Number.isInteger(k) && k >= 0 && k < len) out[k] = sp[i + 1] as number;
  }
  return out;
}
