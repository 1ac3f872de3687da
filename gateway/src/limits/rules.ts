import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import {
  type DocumentNode,
  GraphQLError,
  Kind,
  parse,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

import {
  INTROSPECTION_DISABLED,
  MAX_ALIASES_EXCEEDED,
  MAX_DEPTH_EXCEEDED,
  MAX_ROOT_FIELDS_EXCEEDED,
  MAX_TOKENS_EXCEEDED,
} from '../errors.ts';

/**
 * The static limits of an operation, as graphql-js validation rules (Apollo Server's `validationRules` for HTTP, the
 * gateway's onSubscribe for graphql-ws), and the token limit, which works on the parser (see parseWithTokenLimit).
 *
 * graphql-armor's rules throw a plain GraphQLError whose message starts with "Syntax Error:" and carries no code; we
 * keep their counting and turn it off (`propagateOnRejection: false`), and report our own coded error from `onReject`
 * instead. They hand `onReject` only that message, so the value found is read back from it ("found N").
 */

export interface StaticLimits {
  maxDepth: number;
  maxAliases: number;
  maxRootFields: number;
  /** allow `__schema` and `__type` */
  introspection: boolean;
}

function found(message: string): string {
  return /found (\d+)/.exec(message)?.[1] ?? 'more';
}

export function limitRules(limits: StaticLimits): ValidationRule[] {
  const rules: ValidationRule[] = [
    maxDepthRule({
      n: limits.maxDepth,
      // depth counts fields: a fragment spread or inline fragment adds no level
      flattenFragments: true,
      // the explorer's introspection query is deeper than any sane limit; INTROSPECTION decides about it
      ignoreIntrospection: true,
      propagateOnRejection: false,
      onReject: [
        (context, error) =>
          context?.reportError(
            MAX_DEPTH_EXCEEDED.err(
              `the operation is ${found(error.message)} levels deep; the limit (MAX_DEPTH) is ${limits.maxDepth}`,
            ),
          ),
      ],
    }) as ValidationRule,
    maxAliasesRule({
      n: limits.maxAliases,
      propagateOnRejection: false,
      onReject: [
        (context, error) =>
          context?.reportError(
            MAX_ALIASES_EXCEEDED.err(
              `the operation uses ${found(error.message)} aliases; the limit (MAX_ALIASES) is ${limits.maxAliases}`,
            ),
          ),
      ],
    }) as ValidationRule,
    maxRootFieldsRule(limits.maxRootFields),
  ];
  if (!limits.introspection) rules.push(noIntrospectionRule);
  return rules;
}

/**
 * At most `max` root fields per operation (fragments on the root type count their fields; `__typename` is free).
 * graphql-armor has no such rule; it is small.
 */
export function maxRootFieldsRule(max: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const count = countRootFields(context, operation.selectionSet, new Set());
      if (count > max)
        context.reportError(
          MAX_ROOT_FIELDS_EXCEEDED.err(
            `the operation selects ${count} root fields; the limit (MAX_ROOT_FIELDS) is ${max}`,
          ),
        );
    },
  });
}

function countRootFields(context: ValidationContext, set: SelectionSetNode, seen: Set<string>): number {
  let n = 0;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) n += s.name.value === '__typename' ? 0 : 1;
    else if (s.kind === Kind.INLINE_FRAGMENT) n += countRootFields(context, s.selectionSet, seen);
    else if (!seen.has(s.name.value)) {
      seen.add(s.name.value);
      const fragment = context.getFragment(s.name.value);
      if (fragment) n += countRootFields(context, fragment.selectionSet, seen);
    }
  }
  return n;
}

/**
 * Refuses `__schema` and `__type` with INTROSPECTION_DISABLED. Used instead of Apollo Server's `introspection: false`
 * so that HTTP and graphql-ws refuse it the same way and with the same code (Apollo's rule is internal to it and
 * answers GRAPHQL_VALIDATION_FAILED).
 */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name === '__schema' || name === '__type')
      context.reportError(
        INTROSPECTION_DISABLED.err(`introspection (${name}) is turned off on this gateway (INTROSPECTION)`),
      );
  },
});

export type ParseOutcome =
  | { ok: true; document: DocumentNode }
  /** over the token limit (MAX_TOKENS_EXCEEDED), or not GraphQL (the parser's own syntax error) */
  | { ok: false; error: GraphQLError; tooManyTokens: boolean };

/**
 * The token limit is graphql-js's own (`maxLexicalTokens`): the parser stops at token `maxTokens + 1`, so an
 * oversized document costs no more than the limit. graphql-armor's max-tokens does the same count with a Parser
 * subclass, but Apollo Server offers no way to swap its parser (only `parseOptions`), so both transports use
 * graphql-js's count; the error is recognised by its message and re-coded MAX_TOKENS_EXCEEDED.
 */
export function tokenParseOptions(maxTokens: number): { maxLexicalTokens: number } {
  return { maxLexicalTokens: maxTokens };
}

const TOKEN_LIMIT = /Document contains more tha[nt] (\d+) tokens/;

/** whether `message` is graphql-js's "too many tokens" syntax error */
export function isTokenLimitMessage(message: string): boolean {
  return TOKEN_LIMIT.test(message);
}

export function tokenLimitError(maxTokens: number): GraphQLError {
  return MAX_TOKENS_EXCEEDED.err(
    `the document has more than ${maxTokens} tokens, the limit (MAX_TOKENS); it was not parsed further`,
  );
}

/** parses with the token limit; a syntax error keeps graphql-js's message with GRAPHQL_PARSE_FAILED */
export function parseWithTokenLimit(source: string, maxTokens: number): ParseOutcome {
  try {
    return { ok: true, document: parse(source, tokenParseOptions(maxTokens)) };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (isTokenLimitMessage(message))
      return { ok: false, tooManyTokens: true, error: tokenLimitError(maxTokens) };
    const error =
      e instanceof GraphQLError
        ? new GraphQLError(e.message, {
            source: e.source ?? null,
            positions: e.positions ?? null,
            extensions: { code: 'GRAPHQL_PARSE_FAILED' },
          })
        : new GraphQLError(message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
    return { ok: false, tooManyTokens: false, error };
  }
}
