import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  type ExecutionArgs,
  type GraphQLFormattedError,
  GraphQLError,
  type GraphQLSchema,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';

import {
  INTROSPECTION_DISABLED,
  MAX_ALIASES_EXCEEDED,
  MAX_DEPTH_EXCEEDED,
  MAX_ROOT_FIELDS_EXCEEDED,
  PERSISTED_OPERATION_NOT_FOUND,
  TOO_MANY_OPERATIONS,
} from '../errors.ts';
import { resolvePersisted } from '../persisted/resolve.ts';
import { DEFAULT_LIMITS, type LimitsConfig } from './config.ts';
import { checkCost } from './cost.ts';
import {
  isTokenLimitMessage,
  limitRules,
  parseWithTokenLimit,
  tokenLimitError,
  tokenParseOptions,
} from './rules.ts';

/** what a refused HTTP request parses and validates before didResolveOperation refuses it */
const REFUSED_PLACEHOLDER = '{ __typename }';

/** the guard's options: LimitsConfig without the explorer; every field optional, with LimitsConfig's defaults */
export type LimitsOptions = Partial<Omit<LimitsConfig, 'explorer'>>;

/**
 * One set of defences for both transports:
 * - HTTP (Apollo Server): `parseOptions` (tokens), `validationRules` (depth, aliases, root fields, introspection),
 *   and `plugins`, which resolve persisted operation ids at requestDidStart and estimate the cost at
 *   didResolveOperation (it needs the variables);
 * - graphql-ws: `onSubscribe` does all of it in that order, plus the limit of open operations per connection, and
 *   hands graphql-ws the parsed and validated document.
 * Operations that reach Apollo Server without an HTTP request (the gateway's executeOverWs for queries over
 * graphql-ws) were checked by onSubscribe and are not resolved or counted again.
 */
export interface OperationGuard {
  readonly limits: Required<Omit<LimitsOptions, 'persistedOperations'>> &
    Pick<LimitsOptions, 'persistedOperations'>;
  readonly validationRules: ValidationRule[];
  /** for Apollo Server's plugins list */
  readonly plugins: ApolloServerPlugin<BaseContext>[];
  /**
   * for Apollo Server's options: the validation rules; `introspection: true`, because the guard's own rule refuses
   * introspection (INTROSPECTION_DISABLED) on HTTP and graphql-ws alike; APQ off when only persisted operations may run
   */
  readonly serverOptions: {
    validationRules: ValidationRule[];
    parseOptions: { maxLexicalTokens: number };
    introspection: true;
    hideSchemaDetailsFromClientErrors: boolean;
    persistedQueries?: false;
  };
  /** wraps the gateway's formatError so that our limit codes survive Apollo's GRAPHQL_VALIDATION_FAILED wrapping */
  formatError(
    base: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
  ): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** graphql-ws's onSubscribe: the arguments to execute, or the refusal */
  onSubscribe(
    ctx: { subscriptions: Record<string, unknown> },
    payload: {
      query?: string | undefined;
      operationName?: string | null | undefined;
      variables?: Record<string, unknown> | null | undefined;
      extensions?: Record<string, unknown> | null | undefined;
      documentId?: unknown;
    },
    schema: GraphQLSchema | undefined,
  ): ExecutionArgs | readonly GraphQLError[];
}

/** `extensions.http` for Apollo Server; graphql-ws errors must not carry it */
function forHttp(error: GraphQLError, status = 400): GraphQLError {
  return new GraphQLError(error.message, {
    extensions: { ...error.extensions, http: { status } },
  });
}

export function createOperationGuard(options: LimitsOptions = {}): OperationGuard {
  const limits = {
    ...DEFAULT_LIMITS,
    introspection: process.env['NODE_ENV'] !== 'production',
    requirePersistedOperations: false,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as OperationGuard['limits'];
  const policy = { operations: limits.persistedOperations, required: limits.requirePersistedOperations };
  const validationRules = limitRules(limits);
  const ownCodes = new Set(
    [MAX_DEPTH_EXCEEDED, MAX_ALIASES_EXCEEDED, MAX_ROOT_FIELDS_EXCEEDED, INTROSPECTION_DISABLED].map(
      (c) => c.code,
    ),
  );

  const plugin: ApolloServerPlugin<BaseContext> = {
    requestDidStart(rc) {
      const http = rc.request.http;
      if (!http) return Promise.resolve();
      const body = http.body as Record<string, unknown> | undefined;
      const documentId =
        http.method === 'GET'
          ? (new URLSearchParams(http.search).get('documentId') ?? undefined)
          : body && typeof body === 'object'
            ? body['documentId']
            : undefined;
      const resolution = resolvePersisted(
        { query: rc.request.query, documentId, extensions: rc.request.extensions },
        policy,
      );
      let refusal: GraphQLError | undefined;
      if (resolution.kind !== 'pass') {
        // Apollo Server answers 500 to anything thrown before didResolveOperation, so a refused request goes on
        // with a placeholder document and is refused there, before anything runs
        rc.request.query = resolution.kind === 'manifest' ? resolution.query : REFUSED_PLACEHOLDER;
        if (resolution.kind === 'refused') refusal = resolution.error;
        // the manifest's document runs; Apollo's APQ must not look the id up or register it
        if (rc.request.extensions) {
          const { persistedQuery: _pq, ...rest } = rc.request.extensions;
          rc.request.extensions = rest;
        }
      }
      return Promise.resolve({
        didResolveOperation(op) {
          if (refusal) throw forHttp(refusal);
          const error = checkCost({
            schema: op.schema,
            document: op.document,
            variables: op.request.variables,
            operationName: op.operationName ?? undefined,
            maxCost: limits.maxCost,
            defaultListSize: limits.defaultListSize,
          });
          if (error) throw forHttp(error);
          return Promise.resolve();
        },
      });
    },
  };

  return {
    limits,
    validationRules,
    // the gateway serves its own explorer (or none); Apollo's landing page would load from a CDN
    plugins: [plugin, ApolloServerPluginLandingPageDisabled()],
    serverOptions: {
      validationRules,
      parseOptions: tokenParseOptions(limits.maxTokens),
      introspection: true,
      // with introspection off, "Did you mean ...?" would hand the schema out one field name at a time
      hideSchemaDetailsFromClientErrors: !limits.introspection,
      ...(limits.requirePersistedOperations ? { persistedQueries: false as const } : {}),
    },
    formatError(base) {
      return (formatted, error) => {
        // graphql-js's token limit arrives as Apollo's GRAPHQL_PARSE_FAILED
        if (
          formatted.extensions?.['code'] === 'GRAPHQL_PARSE_FAILED' &&
          isTokenLimitMessage(formatted.message)
        ) {
          const refusal = tokenLimitError(limits.maxTokens);
          return base({ message: refusal.message, extensions: { ...refusal.extensions } }, refusal);
        }
        // Apollo wraps validation errors as GRAPHQL_VALIDATION_FAILED, keeping ours as originalError
        const original = error instanceof GraphQLError ? error.originalError : undefined;
        const code = original instanceof GraphQLError ? original.extensions['code'] : undefined;
        if (typeof code === 'string' && ownCodes.has(code))
          return base({ ...formatted, extensions: { ...formatted.extensions, code } }, error);
        return base(formatted, error);
      };
    },
    onSubscribe(ctx, payload, schema) {
      // graphql-ws has already added this operation's id
      const open = Object.keys(ctx.subscriptions).length;
      if (open > limits.maxOperationsPerConnection)
        return [
          TOO_MANY_OPERATIONS.err(
            `this connection already has ${open - 1} operations open; the limit (MAX_OPERATIONS_PER_CONNECTION) is ${limits.maxOperationsPerConnection}`,
          ),
        ];
      const resolution = resolvePersisted(
        {
          query: payload.query,
          documentId: payload.documentId,
          extensions: payload.extensions ?? undefined,
        },
        policy,
      );
      if (resolution.kind === 'refused') return [resolution.error];
      const query = resolution.kind === 'manifest' ? resolution.query : payload.query;
      if (!query)
        return [
          PERSISTED_OPERATION_NOT_FOUND.err(
            'the persisted operation is not in the manifest, and APQ registration works over HTTP only',
          ),
        ];
      if (!schema)
        return [
          new GraphQLError('the supergraph is not loaded yet', {
            extensions: { code: 'SERVICE_UNAVAILABLE' },
          }),
        ];
      const parsed = parseWithTokenLimit(query, limits.maxTokens);
      if (!parsed.ok) return [parsed.error];
      const errors = validate(schema, parsed.document, [...specifiedRules, ...validationRules]);
      if (errors.length > 0)
        return errors.map((e) =>
          e.extensions['code']
            ? e
            : new GraphQLError(limits.introspection ? e.message : withoutSuggestions(e.message), {
                nodes: e.nodes ?? null,
                extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
              }),
        );
      const costError = checkCost({
        schema,
        document: parsed.document,
        variables: payload.variables ?? undefined,
        operationName: payload.operationName ?? undefined,
        maxCost: limits.maxCost,
        defaultListSize: limits.defaultListSize,
      });
      if (costError) return [costError];
      return {
        schema,
        document: parsed.document,
        variableValues: payload.variables ?? null,
        operationName: payload.operationName ?? null,
      };
    },
  };
}

/** a validation message without graphql-js's "Did you mean ...?" suggestions (which name schema elements) */
export function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean .*\?$/, '');
}
