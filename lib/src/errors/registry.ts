import { GraphQLError, type GraphQLErrorExtensions } from 'graphql';

/** The error-code registry: every coded error fleetgraph returns is defined here once (conventions.md section 5). */

export interface ErrorCodeDefinition {
  /** SCREAMING_SNAKE_CASE, unique across fleetgraph */
  code: string;
  /** one line, for docs/errors.md */
  description: string;
  /** the HTTP status this code stands for, when there is one */
  http?: number;
  /** the fleetgraph version that introduced the code */
  addedIn: string;
}

export interface ErrorOptions {
  /** more extensions; they cannot override `code` */
  extensions?: GraphQLErrorExtensions;
  /** the underlying failure, kept as `originalError` when it is an Error */
  cause?: unknown;
  /** the offending input field (for BAD_USER_INPUT), as `extensions.field` */
  field?: string;
}

export interface ErrorCode extends Readonly<ErrorCodeDefinition> {
  /** a GraphQLError with `extensions.code` set to this code */
  err(message: string, opts?: ErrorOptions): GraphQLError;
  /** whether `err` is a GraphQLError carrying this code */
  is(err: unknown): err is GraphQLError;
}

const registry = new Map<string, ErrorCode>();
const CODE = /^[A-Z][A-Z0-9_]*$/;

export function defineErrorCode(def: ErrorCodeDefinition): ErrorCode {
  if (!CODE.test(def.code))
    throw new Error(`error code ${JSON.stringify(def.code)} is not SCREAMING_SNAKE_CASE`);
  if (registry.has(def.code)) throw new Error(`error code ${def.code} is already defined`);
  if (def.description.trim() === '' || def.description.includes('\n'))
    throw new Error(`error code ${def.code} needs a one-line description`);
  const { code } = def;
  const errorCode: ErrorCode = Object.freeze({
    ...def,
    err(message: string, opts: ErrorOptions = {}): GraphQLError {
      const extensions: GraphQLErrorExtensions = { ...opts.extensions, code };
      if (opts.field !== undefined) extensions['field'] = opts.field;
      return new GraphQLError(message, {
        extensions,
        ...(opts.cause instanceof Error ? { originalError: opts.cause } : {}),
      });
    },
    is(err: unknown): err is GraphQLError {
      return err instanceof GraphQLError && err.extensions['code'] === code;
    },
  });
  registry.set(code, errorCode);
  return errorCode;
}

/** every defined code, in definition order */
export function errorCodes(): readonly ErrorCode[] {
  return [...registry.values()];
}

/** the definition of `code`, if any */
export function errorCode(code: string): ErrorCode | undefined {
  return registry.get(code);
}

/** the registry code a GraphQLError carries, if it carries one */
export function codeOf(err: unknown): string | undefined {
  if (!(err instanceof GraphQLError)) return undefined;
  const code = err.extensions['code'];
  return typeof code === 'string' && registry.has(code) ? code : undefined;
}
