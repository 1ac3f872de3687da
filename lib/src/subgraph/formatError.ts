import type { GraphQLFormattedError } from 'graphql';

/**
 * The masking rule of every fleetgraph server (conventions.md, Errors): errors that carry a registered code pass
 * through; anything else becomes INTERNAL_SERVER_ERROR, with its message hidden when `mask` is on (production).
 * Stacks are dropped unless `mask` is off.
 */
export function createFormatError(options: {
  mask: boolean;
  isKnownCode: (code: string) => boolean;
}): (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError {
  return (formatted) => {
    const code = formatted.extensions?.['code'];
    if (typeof code === 'string' && options.isKnownCode(code) && code !== 'INTERNAL_SERVER_ERROR') {
      if (!options.mask) return formatted;
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (!options.mask) return formatted;
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    };
  };
}
