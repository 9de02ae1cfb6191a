import { EventEmitter } from '../../src/events';
import type { Logger } from '../../src/logger';
import type { DegradedEvent, RestoredEvent } from '../../src/redis/bounded';
import { reportStoreHealth } from '../../src/redis/health';

function setup(
  extra: { fields?: Record<string, unknown>; degradedFields?: Record<string, unknown> } = {},
) {
  const degraded = new EventEmitter<DegradedEvent>();
  const restored = new EventEmitter<RestoredEvent>();
  const lines: Array<[string, string, unknown]> = [];
  const order: string[] = [];
  const logger: Logger = {
    debug: (m, f) => lines.push(['debug', m, f]),
    info: (m, f) => {
      order.push('log');
      lines.push(['info', m, f]);
    },
    warn: (m, f) => {
      order.push('log');
      lines.push(['warn', m, f]);
    },
    error: (m, f) => lines.push(['error', m, f]),
  };
  const events: Array<[string, unknown]> = [];
  const seen: unknown[] = [];
  reportStoreHealth(
    { onDegraded: degraded.event, onRestored: restored.event },
    {
      logger,
      telemetry: { event: (name, init) => events.push([name, init]) },
      degradedMessage: 'thing: Redis unavailable, limiting in this process',
      restoredMessage: 'thing: Redis available again',
      ...extra,
      onDegraded: (e) => {
        order.push('own');
        seen.push(e);
      },
      onRestored: (e) => {
        order.push('own');
        seen.push(e);
      },
    },
  );
  return { degraded, restored, lines, events, seen, order };
}

describe('reportStoreHealth', () => {
  it('on an outage: the package handler first, then one warning with reason and code, then telemetry', () => {
    const t = setup({ fields: { name: 'api' }, degradedFields: { localLimit: 3 } });
    t.degraded.emit({ reason: 'timeout', code: 'RESIL_CORE_REDIS_TIMEOUT' });
    expect(t.seen).toEqual([{ reason: 'timeout', code: 'RESIL_CORE_REDIS_TIMEOUT' }]);
    expect(t.order).toEqual(['own', 'log']);
    expect(t.lines).toEqual([
      [
        'warn',
        'thing: Redis unavailable, limiting in this process',
        {
          event: 'store-degraded',
          name: 'api',
          reason: 'timeout',
          code: 'RESIL_CORE_REDIS_TIMEOUT',
          localLimit: 3,
        },
      ],
    ]);
    expect(t.events).toEqual([['store-degraded', { severity: 'warning' }]]);
  });

  it('on recovery: the handler, one info line with downMs (no degraded-only fields), telemetry', () => {
    const t = setup({ fields: { name: 'api' }, degradedFields: { localLimit: 3 } });
    t.restored.emit({ downMs: 1200 });
    expect(t.seen).toEqual([{ downMs: 1200 }]);
    expect(t.lines).toEqual([
      [
        'info',
        'thing: Redis available again',
        { event: 'store-restored', name: 'api', downMs: 1200 },
      ],
    ]);
    expect(t.events).toEqual([['store-restored', undefined]]);
  });

  it('works without package handlers or fields', () => {
    const degraded = new EventEmitter<DegradedEvent>();
    const restored = new EventEmitter<RestoredEvent>();
    const warn = jest.fn();
    const info = jest.fn();
    reportStoreHealth(
      { onDegraded: degraded.event, onRestored: restored.event },
      {
        logger: { debug: jest.fn(), info, warn, error: jest.fn() },
        telemetry: { event: jest.fn() },
        degradedMessage: 'd',
        restoredMessage: 'r',
      },
    );
    degraded.emit({ reason: 'failed', code: 'X' });
    restored.emit({ downMs: 5 });
    expect(warn).toHaveBeenCalledWith('d', {
      event: 'store-degraded',
      reason: 'failed',
      code: 'X',
    });
    expect(info).toHaveBeenCalledWith('r', { event: 'store-restored', downMs: 5 });
  });
});
