import winston from 'winston';
import { redactInfo } from './format';
import { createRedactor, getDefaultRedactor, type RedactOptions } from './redactor';

export type LogMeta = Record<string, unknown>;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface SafeLoggerOptions {
  /** Lowest level written. @default process.env.LOG_LEVEL ?? 'info' */
  level?: LogLevel | string;
  /** winston transports; the redaction runs before any of them. @default one Console transport */
  transports?: winston.transport[];
  /** Fields added to every record (redacted like the rest). @default {} */
  defaultMeta?: LogMeta;
  /** Extra redaction rules (keys, patterns, depth, stacks). @default the built-in rules only */
  rules?: RedactOptions;
}

const LEVELS = new Set(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']);
const OPTION_NAMES = new Set(['level', 'transports', 'defaultMeta', 'rules']);

/**
 * A winston logger that cannot write PHI/PII: every record goes through the redaction before any
 * transport sees it. JSON lines with `timestamp`, `level`, `logger`, `message` by default.
 *
 *   const log = new SafeLogger('hospital-api');
 *   log.info('hospital created', { hospitalId, ssn }); // ssn -> "[REDACTED]"
 *   log.error(err);                                   // message and stack redacted
 */
export class SafeLogger {
  readonly name: string;
  readonly #logger: winston.Logger;

  constructor(name: string, options: SafeLoggerOptions = {}) {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('SafeLogger: name must be a non-empty string');
    for (const key of Object.keys(options)) {
      if (!OPTION_NAMES.has(key)) throw new TypeError(`SafeLogger: unknown option "${key}"`);
    }
    const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
    if (!LEVELS.has(level))
      throw new RangeError(
        'SafeLogger: level must be one of error, warn, info, http, verbose, debug, silly',
      );
    const r = options.rules ? createRedactor(options.rules) : getDefaultRedactor();
    this.name = name;
    this.#logger = winston.createLogger({
      level,
      // Redact first (the caller's fields only), then stamp, then serialise.
      format: winston.format.combine(
        winston.format((info) => redactInfo(info, r))(),
        winston.format.timestamp(),
        winston.format.json(),
      ),
      defaultMeta: { logger: name, ...(options.defaultMeta ?? {}) },
      transports: options.transports ?? [new winston.transports.Console()],
      exitOnError: false,
    });
  }

  /** The level currently written. */
  get level(): string {
    return this.#logger.level;
  }

  debug(message: string | Error | LogMeta, meta?: LogMeta): void {
    this.#write('debug', message, meta);
  }
  info(message: string | Error | LogMeta, meta?: LogMeta): void {
    this.#write('info', message, meta);
  }
  warn(message: string | Error | LogMeta, meta?: LogMeta): void {
    this.#write('warn', message, meta);
  }
  error(message: string | Error | LogMeta, meta?: LogMeta): void {
    this.#write('error', message, meta);
  }

  /** Flushes and closes the transports. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#logger.on('finish', () => resolve());
      this.#logger.end();
    });
  }

  #write(level: string, message: string | Error | LogMeta, meta: LogMeta | undefined): void {
    if (!this.#logger.isLevelEnabled(level)) return;
    // Only plain data reaches winston: an Error becomes { message, error }, so winston's own
    // error handling (which copies message and stack verbatim) never runs.
    let text: unknown;
    let fields: LogMeta;
    if (message instanceof Error) {
      text = message.message;
      fields = { ...(meta ?? {}), error: message };
    } else if (typeof message === 'string') {
      text = message;
      fields = meta && typeof meta === 'object' ? { ...meta } : {};
    } else {
      text = '';
      fields = { ...(message ?? {}), ...(meta ?? {}) };
    }
    // Fields named like ours would overwrite them: keep them apart.
    for (const own of ['level', 'message', 'timestamp', 'logger'] as const) {
      if (own in fields) {
        fields[`meta.${own}`] = fields[own];
        delete fields[own];
      }
    }
    try {
      this.#logger.log({ level, message: text as string, ...fields });
    } catch {
      // A log call never throws into the caller.
    }
  }
}
