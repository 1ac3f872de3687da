export { createInformer } from './informer.ts';
export type {
  EventsOptions,
  Informer,
  InformerEvent,
  InformerEventType,
  InformerListener,
  InformerLogger,
  InformerOptions,
  InformerStats,
} from './informerTypes.ts';
export type { BackoffOptions } from './backoff.ts';
export { InformerOverflowError } from './eventQueue.ts';
export { KubeHttpError } from './listPages.ts';
export { followLogs, type FollowLogsOptions } from './followLogs.ts';
export {
  toKubeError,
  isNotFound,
  isConflict,
  isForbidden,
  isGone,
  type ToKubeErrorOptions,
} from './toKubeError.ts';
