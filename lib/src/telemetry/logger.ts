import { pino, type Logger as PinoLogger } from 'pino';

import { formatTextLine } from './textFormat.ts';

/** Log levels, least to most severe; `silent` turns logging off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured attributes of one record; names are fixed by conventions.md section 7. */
export type LogAttrs = Record<string, unknown>;

/** The one logger interface of fleetgraph. It is passed as `log` in options, never imported as a global. */
export interface Logger {
  trace(msg: string, attrs?: LogAttrs): void;
  debug(msg: string, attrs?: LogAttrs): void;
  info(msg: string, attrs?: LogAttrs): void;
  warn(msg: string, attrs?: LogAttrs): void;
  error(msg: string, attrs?: LogAttrs): void;
  /** a logger that adds `attrs` to every record (the call's own attrs win on a clash) */
  child(attrs: LogAttrs): Logger;
  readonly level: LogLevel;
}

/** Anything with a `write(string)` method: a Node stream, or a test sink. */
export interface LogDestination {
  write(s: string): unknown;
}

export interface LoggerOptions {
  /**
   * the least severe level written (deployables read it from `LOG_LEVEL` with `getEnvLogLevel`)
   * @default 'info'
   */
  level?: LogLevel;
  /**
   * JSON lines (for containers) instead of readable text (deployables read it from `LOG_JSON`)
   * @default false
   */
  json?: boolean;
  /**
   * fixed attributes of every record, e.g. `{ service: 'gateway' }`
   * @default {}
   */
  attrs?: LogAttrs;
  /**
   * where lines go
   * @default process.stderr
   */
  destination?: NodeJS.WritableStream | LogDestination;
}

/** Keys whose values are never written (conventions.md section 7). */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'connectionParams',
];
export const REDACTED = '[redacted]';

type Method = Exclude<LogLevel, 'silent'>;

/** An Error as written to a record: name and message, the stack only at debug/trace. */
export interface LoggedError {
  type: string;
  message: string;
  code?: string | number;
  stack?: string;
  cause?: LoggedError | unknown;
}

function serializeError(err: Error, withStack: boolean, depth = 0): LoggedError {
  const out: LoggedError = { type: err.name, message: err.message };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (withStack && err.stack !== undefined) out.stack = err.stack;
  if (err.cause !== undefined && depth < 5) {
    out.cause = err.cause instanceof Error ? serializeError(err.cause, withStack, depth + 1) : err.cause;
  }
  return out;
}

/** Top-level Error values become `LoggedError`s (pino only serializes the `err` key by itself). */
function prepareAttrs(attrs: LogAttrs, withStack: boolean): LogAttrs {
  let out: LogAttrs | undefined;
  for (const [key, value] of Object.entries(attrs)) {
    if (value instanceof Error) {
      out ??= { ...attrs };
      out[key] = serializeError(value, withStack);
    }
  }
  return out ?? attrs;
}

class PinoBackedLogger implements Logger {
  readonly #pino: PinoLogger;
  readonly #attrs: LogAttrs;
  readonly #withStack: boolean;
  readonly level: LogLevel;

  constructor(p: PinoLogger, level: LogLevel, attrs: LogAttrs) {
    this.#pino = p;
    this.level = level;
    this.#attrs = attrs;
    this.#withStack = level === 'trace' || level === 'debug';
  }

  #write(method: Method, msg: string, attrs: LogAttrs | undefined): void {
    if (!this.#pino.isLevelEnabled(method)) return;
    const merged = attrs === undefined ? this.#attrs : { ...this.#attrs, ...attrs };
    this.#pino[method](prepareAttrs(merged, this.#withStack), msg);
  }

  trace(msg: string, attrs?: LogAttrs): void {
    this.#write('trace', msg, attrs);
  }
  debug(msg: string, attrs?: LogAttrs): void {
    this.#write('debug', msg, attrs);
  }
  info(msg: string, attrs?: LogAttrs): void {
    this.#write('info', msg, attrs);
  }
  warn(msg: string, attrs?: LogAttrs): void {
    this.#write('warn', msg, attrs);
  }
  error(msg: string, attrs?: LogAttrs): void {
    this.#write('error', msg, attrs);
  }
  child(attrs: LogAttrs): Logger {
    // Attributes are merged into each record (not pino bindings) so that redaction covers them too.
    return new PinoBackedLogger(this.#pino, this.level, { ...this.#attrs, ...attrs });
  }
}

/** A logger built on pino: readable text lines by default, JSON lines with `json: true`. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new Error(`log level must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(level)}`);
  }
  const destination: LogDestination = options.destination ?? process.stderr;
  const sink: LogDestination = options.json
    ? destination
    : { write: (line: string) => destination.write(formatTextLine(line)) };
  const p = pino(
    {
      level,
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Errors are serialized by prepareAttrs for every key; keep pino's own `err` serializer out of the way.
      serializers: { err: (value: unknown) => value },
      redact: { paths: [...REDACTED_PATHS], censor: REDACTED },
    },
    sink,
  );
  return new PinoBackedLogger(p, level, { ...options.attrs });
}

const noop = (): void => {};

/** A logger that writes nothing (for tests and optional `log` options). */
export const silentLogger: Logger = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  child: () => silentLogger,
  level: 'silent' as const,
});
