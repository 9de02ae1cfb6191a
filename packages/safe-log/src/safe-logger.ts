import { checkOptions, enumOption, functionOption } from '@resil/core';
import winston from 'winston';
import { getLogContext, otelTraceIds, type TraceIds } from './context';
import { redactInfo } from './format';
import { recordJson } from './internal/json';
import { createRedactor, getDefaultRedactor, type RedactOptions, type Redactor } from './redactor';

export type LogMeta = Record<string, unknown>;
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface SafeLoggerOptions {
  /** Lowest level written. @default process.env.LOG_LEVEL ?? 'info' */
  level?: LogLevel | string;
  /** winston transports; the redaction runs before any of them. @default one Console transport */
  transports?: winston.transport[];
  /** Fields added to every record (redacted like the rest). @default {} */
  defaultMeta?: LogMeta;
  /** Extra redaction rules (keys, patterns, depth, stacks, censor, allow). @default the built-in rules only */
  rules?: RedactOptions;
  /**
   * Where trace and span ids come from: written as `traceId` / `spanId` on every record made while
   * a span is active. `false` writes none. @default the active span of `@opentelemetry/api` when
   * the application has it installed, else none
   */
  traceIds?: (() => TraceIds | undefined) | false;
}

/** winston's key for the serialised line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');
/** logform's JSON format: used for records that recordJson does not handle. */
const JSON_FORMAT = winston.format.json();

/**
 * The record redacted, stamped and serialised: the same as
 * `combine(format(redactInfo)(), timestamp(), json())` with one format call instead of three and
 * a serialiser for plain data (internal/json.ts) that writes the same bytes as logform's.
 */
function recordLine(
  info: winston.Logform.TransformableInfo,
  r: Redactor,
): winston.Logform.TransformableInfo {
  redactInfo(info, r);
  if (!info.timestamp) info.timestamp = new Date().toISOString();
  const line = recordJson(info);
  if (line === undefined) return JSON_FORMAT.transform(info, JSON_FORMAT.options) as typeof info;
  (info as unknown as Record<symbol, unknown>)[MESSAGE] = line;
  return info;
}

const EMPTY: LogMeta = Object.freeze({});

/** How a child shares its parent's winston logger (never an option users pass). */
const CHILD = Symbol('SafeLogger.child');
interface ChildOf {
  logger: winston.Logger;
  bound: LogMeta;
  traceIds: (() => TraceIds | undefined) | false;
}

const LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
const OPTION_NAMES = new Set(['level', 'transports', 'defaultMeta', 'rules', 'traceIds']);
/** Fields of every record that are the logger's own: a caller's field of that name is renamed `meta.<name>`. */
const OWN = ['level', 'message', 'timestamp', 'logger'] as const;
const OWN_SET: ReadonlySet<string> = new Set(OWN);

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
  readonly #bound: LogMeta;
  readonly #traceIds: (() => TraceIds | undefined) | false;

  constructor(name: string, options: SafeLoggerOptions = {}) {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('SafeLogger: name must be a non-empty string');
    const child = (options as { [CHILD]?: ChildOf })[CHILD];
    if (child) {
      this.name = name;
      this.#logger = child.logger;
      this.#bound = child.bound;
      this.#traceIds = child.traceIds;
      return;
    }
    checkOptions('SafeLogger', options, OPTION_NAMES);
    const level = enumOption(
      'SafeLogger',
      'level',
      options.level ?? process.env.LOG_LEVEL ?? 'info',
      LEVELS,
    );
    if (options.traceIds !== false) functionOption('SafeLogger', 'traceIds', options.traceIds);
    const r = options.rules ? createRedactor(options.rules) : getDefaultRedactor();
    this.name = name;
    this.#bound = EMPTY;
    this.#traceIds = options.traceIds ?? otelTraceIds;
    this.#logger = winston.createLogger({
      level,
      // Redact first (the caller's fields only), then stamp, then serialise: what
      // combine(redact, timestamp(), json()) does, in one format (see recordLine).
      format: winston.format((info) => recordLine(info, r))(),
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

  /**
   * A logger that writes through the same transports and rules with `fields` on every record
   * (redacted like the rest; a call's own fields win over bound ones). Children of children add up.
   */
  child(fields: LogMeta): SafeLogger {
    if (fields === null || typeof fields !== 'object')
      throw new TypeError('SafeLogger.child: fields must be an object');
    const c: ChildOf = {
      logger: this.#logger,
      bound: { ...this.#bound, ...fields },
      traceIds: this.#traceIds,
    };
    return new SafeLogger(this.name, { [CHILD]: c } as SafeLoggerOptions);
  }

  #closed: Promise<void> | undefined;

  /**
   * Flushes and closes the transports: the one lifecycle of @resil (async, idempotent; `await
   * using` calls it). A child shares its parent's transports, so closing either closes both.
   */
  close(): Promise<void> {
    this.#closed ??= new Promise((resolve) => {
      this.#logger.on('finish', () => resolve());
      this.#logger.end();
    });
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #write(level: string, message: string | Error | LogMeta, meta: LogMeta | undefined): void {
    if (!this.#logger.isLevelEnabled(level)) return;
    // Only plain data reaches winston: an Error becomes { message, error }, so winston's own
    // error handling (which copies message and stack verbatim) never runs.
    let text: unknown;
    let first: object | undefined; // fields in the order written: `first`, then `meta`
    let error: Error | undefined;
    if (message instanceof Error) {
      text = message.message;
      error = message;
    } else if (typeof message === 'string') {
      text = message;
    } else {
      text = '';
      first = message ?? undefined;
    }
    const second = meta && typeof meta === 'object' ? meta : undefined;
    // One record object, built once: request context (withLogContext), trace ids and bound
    // fields, then the call's own fields (which win); fields named like ours are kept apart.
    // Built from `{}` (no allocation site), not `{ level, message }`: a literal with properties
    // has an allocation site that V8 pretenures once its objects survive (a transport that
    // holds records for a while: winston's Stream transport keeps each until an event-loop
    // turn), and from then on every record is made in the old generation and keeps its young
    // fields alive through every minor GC until a full one: 3-6x slower (README, "Overhead").
    const info: Record<string, unknown> = {};
    info.level = level;
    info.message = text;
    const context = getLogContext();
    let trace: TraceIds | undefined;
    try {
      trace = this.#traceIds ? this.#traceIds() : undefined;
    } catch {
      // A failing tracer never stops a log line.
    }
    let renamed: Record<string, unknown> | undefined;
    const add = (fields: object | undefined) => {
      if (!fields) return;
      for (const key of Object.keys(fields)) {
        let v: unknown;
        try {
          v = (fields as Record<string, unknown>)[key];
        } catch {
          v = '[Unreadable]';
        }
        // Like object spread: a later source's value wins, in the place of the first.
        if (OWN_SET.has(key)) {
          renamed ??= {};
          renamed[key] = v;
        } else if (key === '__proto__')
          Object.defineProperty(info, key, {
            value: v,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        else info[key] = v;
      }
    };
    add(context);
    add(trace);
    if (this.#bound !== EMPTY) add(this.#bound);
    add(first);
    add(second);
    if (error) add({ error });
    if (renamed) for (const own of OWN) if (own in renamed) info[`meta.${own}`] = renamed[own];
    try {
      this.#logger.log(info as winston.LogEntry);
    } catch {
      // A log call never throws into the caller.
    }
  }
}
