export { safeFormat } from './format';
export type { RedactOptions, Redactor } from './redactor';
export { createRedactor, REDACTED, redact } from './redactor';
export type { RequestLoggerOptions } from './request-logger';
export { requestLogger, routeOf } from './request-logger';
export type { PatternRule } from './rules';
export { DEFAULT_PATTERNS, luhn, SENSITIVE_KEYS } from './rules';
export type { LogLevel, LogMeta, SafeLoggerOptions } from './safe-logger';
export { SafeLogger } from './safe-logger';
