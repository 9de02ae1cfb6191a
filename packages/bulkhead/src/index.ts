// @resil/bulkhead: see README.md (issue #19).
export type {
  Bulkhead,
  BulkheadDegradedNotice,
  BulkheadEvents,
  BulkheadOptions,
  BulkheadRestoredNotice,
  BulkheadState,
  LeaseLostNotice,
  RejectedNotice,
} from './bulkhead';
export { bulkhead } from './bulkhead';
export { BULKHEAD_ERROR_CODES, BulkheadClosedError, BulkheadFullError } from './errors';
