import { readFileSync } from 'node:fs';

import { LOG_LEVELS, type LogLevel } from '../telemetry/index.ts';

/**
 * Env helpers for each deployable's `loadConfig(env = process.env)` (conventions.md section 6). An unset or blank
 * variable counts as missing. Invalid values throw a `ConfigError` naming the variable and what it accepts, so startup
 * fails fast with a message an operator can act on.
 */

export class ConfigError extends Error {
  /** the environment variable at fault */
  readonly variable: string;

  constructor(variable: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

type Env = NodeJS.ProcessEnv;

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value;
}

function quote(value: string): string {
  return JSON.stringify(value);
}

function missing(name: string, expected: string): ConfigError {
  return new ConfigError(name, `${name} is required (${expected}) but is not set`);
}

export interface EnvStrOptions {
  /** used when the variable is unset or blank; without it a missing variable is an error */
  default?: string;
  /** the only accepted values (matched exactly) */
  allowed?: readonly string[];
}

/** A string variable. Throws `ConfigError` when it is missing without a default, or not one of `allowed`. */
export function getEnvStr(env: Env, name: string, options: EnvStrOptions = {}): string {
  const { allowed } = options;
  const allowedText = allowed === undefined ? undefined : `one of ${allowed.map(quote).join(', ')}`;
  const value = raw(env, name);
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, allowedText ?? 'a string');
  }
  if (allowed !== undefined && !allowed.includes(value)) {
    throw new ConfigError(name, `${name} must be ${allowedText}, got ${quote(value)}`);
  }
  return value;
}

/** A string variable that may be absent: `undefined` when unset or blank. */
export function getEnvOptionalStr(env: Env, name: string): string | undefined {
  return raw(env, name);
}

export interface EnvNumOptions {
  /** used when the variable is unset or blank; without it a missing variable is an error */
  default?: number;
  /** smallest accepted value (inclusive) */
  min?: number;
  /** largest accepted value (inclusive) */
  max?: number;
  /**
   * accept whole numbers only
   * @default false
   */
  integer?: boolean;
}

function describeNum(options: EnvNumOptions): string {
  const kind = options.integer ? 'an integer' : 'a number';
  const { min, max } = options;
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (min !== undefined) return `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

/** A numeric variable (decimal, finite), checked against `integer`, `min` and `max`. */
export function getEnvNum(env: Env, name: string, options: EnvNumOptions = {}): number {
  const value = raw(env, name);
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, describeNum(options));
  }
  const n = Number(value.trim());
  const ok =
    Number.isFinite(n) &&
    (!options.integer || Number.isInteger(n)) &&
    (options.min === undefined || n >= options.min) &&
    (options.max === undefined || n <= options.max);
  if (!ok) throw new ConfigError(name, `${name} must be ${describeNum(options)}, got ${quote(value)}`);
  return n;
}

const TRUE = new Set(['1', 'true', 'yes']);
const FALSE = new Set(['0', 'false', 'no']);
const BOOL_TEXT = '1/0, true/false or yes/no';

export interface EnvBoolOptions {
  /** used when the variable is unset or blank; without it a missing variable is an error */
  default?: boolean;
}

/** A boolean variable: 1/0, true/false or yes/no, case-insensitive. */
export function getEnvBool(env: Env, name: string, options: EnvBoolOptions = {}): boolean {
  const value = raw(env, name);
  if (value === undefined) {
    if (options.default !== undefined) return options.default;
    throw missing(name, BOOL_TEXT);
  }
  const v = value.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ConfigError(name, `${name} must be ${BOOL_TEXT}, got ${quote(value)}`);
}

/** The log level variable, validated against the telemetry levels (case-insensitive). */
export function getEnvLogLevel(env: Env, name = 'LOG_LEVEL', fallback: LogLevel = 'info'): LogLevel {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const level = LOG_LEVELS.find((l) => l === value.trim().toLowerCase());
  if (level === undefined) {
    throw new ConfigError(
      name,
      `${name} must be one of ${LOG_LEVELS.map(quote).join(', ')}, got ${quote(value)}`,
    );
  }
  return level;
}

/**
 * A secret from `NAME`, or from the file named by `NAME_FILE` (its content, trimmed); undefined when neither is
 * set. Setting both, an unreadable file and an empty file are ConfigErrors.
 */
export function getEnvSecret(env: Env, name: string): string | undefined {
  const value = getEnvOptionalStr(env, name);
  const file = getEnvOptionalStr(env, `${name}_FILE`);
  if (value !== undefined && file !== undefined)
    throw new ConfigError(name, `set ${name} or ${name}_FILE, not both`);
  if (file === undefined) return value;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(
      `${name}_FILE`,
      `${name}_FILE: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  if (text === '') throw new ConfigError(`${name}_FILE`, `${name}_FILE: ${file} is empty`);
  return text;
}
