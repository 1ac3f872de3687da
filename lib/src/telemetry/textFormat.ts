/** The readable text form of a pino JSON record: `HH:MM:SS.mmm LEVEL [service] message key=value ...`. */

const BARE = /^[^\s"=\\]+$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function clock(time: unknown): string {
  const d = typeof time === 'string' || typeof time === 'number' ? new Date(time) : new Date();
  const t = Number.isNaN(d.getTime()) ? new Date() : d;
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}

interface ErrorLike {
  type: string;
  message: string;
  code?: unknown;
  stack?: unknown;
  cause?: unknown;
}

const ERROR_KEYS = new Set(['type', 'message', 'code', 'stack', 'cause']);

/** the shape `logger.ts` gives Error values */
function isErrorLike(value: unknown): value is ErrorLike {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['type'] === 'string' &&
    typeof v['message'] === 'string' &&
    Object.keys(v).every((k) => ERROR_KEYS.has(k))
  );
}

function errorText(err: ErrorLike): string {
  let text = `${err.type}: ${err.message}`;
  if (typeof err.code === 'string' || typeof err.code === 'number') text += ` (${err.code})`;
  if (isErrorLike(err.cause)) text += `; caused by ${errorText(err.cause)}`;
  else if (err.cause !== undefined) text += `; caused by ${JSON.stringify(err.cause)}`;
  return text;
}

function stacksOf(err: ErrorLike, out: string[]): void {
  if (typeof err.stack === 'string') out.push(err.stack);
  if (isErrorLike(err.cause)) stacksOf(err.cause, out);
}

function quoteIfNeeded(s: string): string {
  return BARE.test(s) ? s : JSON.stringify(s);
}

function valueText(value: unknown): string {
  if (typeof value === 'string') return quoteIfNeeded(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (isErrorLike(value)) return quoteIfNeeded(errorText(value));
  return JSON.stringify(value) ?? String(value);
}

/**
 * Turns one pino JSON line into one readable line. Stacks (present only at debug/trace) follow the line, indented.
 * A line that is not JSON is passed through unchanged.
 */
export function formatTextLine(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { level, time, msg, service, ...attrs } = record;
  const parts = [
    clock(time),
    String(level ?? 'info')
      .toUpperCase()
      .padEnd(5),
  ];
  if (service !== undefined) parts.push(`[${typeof service === 'string' ? service : valueText(service)}]`);
  parts.push(typeof msg === 'string' ? msg : valueText(msg));
  const stacks: string[] = [];
  for (const [key, value] of Object.entries(attrs)) {
    parts.push(`${key}=${valueText(value)}`);
    if (isErrorLike(value)) stacksOf(value, stacks);
  }
  let line = parts.join(' ');
  for (const stack of stacks) line += '\n' + stack.replace(/^/gm, '    ');
  return line + '\n';
}
