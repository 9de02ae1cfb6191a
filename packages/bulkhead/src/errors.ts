import { ResilError } from '@resil/core';

/** Codes of the errors @resil/bulkhead rejects with. Stable: never reused for another meaning. */
export const BULKHEAD_ERROR_CODES = Object.freeze({
  /** Every slot is taken and the queue is full (or there is none). */
  FULL: 'RESIL_BULKHEAD_FULL',
  /** The bulkhead was closed: queued callers are rejected, new calls too. */
  CLOSED: 'RESIL_BULKHEAD_CLOSED',
} as const);

/** The call was refused: `limit` calls were in flight and `queue` callers already waiting. */
export class BulkheadFullError extends ResilError<typeof BULKHEAD_ERROR_CODES.FULL> {
  /** The bulkhead's name (configuration, never input). */
  readonly bulkhead: string;
  readonly limit: number;
  readonly queue: number;
  constructor(bulkhead: string, limit: number, queue: number) {
    super(
      BULKHEAD_ERROR_CODES.FULL,
      `bulkhead full: ${limit} call(s) in flight and ${queue} queued`,
    );
    this.name = 'BulkheadFullError';
    this.bulkhead = bulkhead;
    this.limit = limit;
    this.queue = queue;
  }
}

/** The bulkhead was closed before the call got a slot. */
export class BulkheadClosedError extends ResilError<typeof BULKHEAD_ERROR_CODES.CLOSED> {
  constructor() {
    super(BULKHEAD_ERROR_CODES.CLOSED, 'bulkhead closed');
    this.name = 'BulkheadClosedError';
  }
}
