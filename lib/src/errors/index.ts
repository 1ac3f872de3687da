export {
  defineErrorCode,
  errorCodes,
  errorCode,
  codeOf,
  type ErrorCode,
  type ErrorCodeDefinition,
  type ErrorOptions,
} from './registry.ts';
export {
  BAD_USER_INPUT,
  NOT_FOUND,
  FORBIDDEN,
  UNAUTHENTICATED,
  CONFLICT,
  TIMEOUT,
  CLUSTER_UNREACHABLE,
  KUBE_UNAVAILABLE,
  INTERNAL_SERVER_ERROR,
} from './codes.ts';
