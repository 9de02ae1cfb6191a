import type { Logger } from '../logger';
import type { Telemetry } from '../telemetry';
import type { BoundedRedis, DegradedEvent, RestoredEvent } from './bounded';

/** What `reportStoreHealth` says when a package's Redis goes away and comes back. */
export interface StoreHealthOptions {
  readonly logger: Logger;
  readonly telemetry: Pick<Telemetry, 'event'>;
  /** The warning logged once per outage ("bulkhead: Redis unavailable, limiting in this process"). */
  readonly degradedMessage: string;
  /** The line logged when Redis answers again. */
  readonly restoredMessage: string;
  /** Fields of both log lines after `event` (the policy's name, the local share): no patient data. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Extra fields of the degraded line only (after `reason` and `code`). */
  readonly degradedFields?: Readonly<Record<string, unknown>>;
  /** The package's own reaction (its events, a fence), called before the log line. */
  readonly onDegraded?: (e: DegradedEvent) => void;
  readonly onRestored?: (e: RestoredEvent) => void;
}

/**
 * The one way a Redis-backed package reports its store's health: on each change of `bounded`
 * (once per outage, once per recovery) it calls the package's own handler, logs one line
 * (`event: 'store-degraded'` at warn with reason and code, `event: 'store-restored'` at info with
 * `downMs`) and counts `store-degraded` / `store-restored` in telemetry. The listeners go with
 * `bounded.close()`.
 */
export function reportStoreHealth(
  bounded: Pick<BoundedRedis, 'onDegraded' | 'onRestored'>,
  o: StoreHealthOptions,
): void {
  bounded.onDegraded((e) => {
    o.onDegraded?.(e);
    o.logger.warn(o.degradedMessage, {
      event: 'store-degraded',
      ...o.fields,
      reason: e.reason,
      code: e.code,
      ...o.degradedFields,
    });
    o.telemetry.event('store-degraded', { severity: 'warning' });
  });
  bounded.onRestored((e) => {
    o.onRestored?.(e);
    o.logger.info(o.restoredMessage, { event: 'store-restored', ...o.fields, downMs: e.downMs });
    o.telemetry.event('store-restored');
  });
}
