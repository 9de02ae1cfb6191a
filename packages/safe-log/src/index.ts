// Interim stub: the final API shape (SafeLogger, redact) with the seed's rule only.
// Issue 8 replaces the body with full PHI/PII redaction; the public shape stays.
import winston from 'winston';

export type LogMeta = Record<string, unknown>;

export interface SafeLoggerOptions {
  /** @default 'info' */
  level?: string;
  /** winston transports; default: JSON to stdout. */
  transports?: winston.transport[];
}

/** The seed's rule: a message that begins with `PHI:` is replaced whole. */
export function redact<T>(value: T): T {
  if (typeof value === 'string' && value.startsWith('PHI:')) return '[REDACTED:phi]' as T;
  return value;
}

export class SafeLogger {
  readonly name: string;
  readonly #logger: winston.Logger;

  constructor(name: string, options: SafeLoggerOptions = {}) {
    this.name = name;
    this.#logger = winston.createLogger({
      level: options.level ?? 'info',
      format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
      defaultMeta: { logger: name },
      transports: options.transports ?? [new winston.transports.Console()],
    });
  }

  debug(message: string, meta?: LogMeta): void {
    this.#logger.debug(redact(message), meta);
  }
  info(message: string, meta?: LogMeta): void {
    this.#logger.info(redact(message), meta);
  }
  warn(message: string, meta?: LogMeta): void {
    this.#logger.warn(redact(message), meta);
  }
  error(message: string | Error, meta?: LogMeta): void {
    this.#logger.error(redact(message instanceof Error ? message.message : message), meta);
  }
}

export const packageName = '@resil/safe-log';
