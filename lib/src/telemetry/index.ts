export {
  createLogger,
  silentLogger,
  LOG_LEVELS,
  REDACTED,
  REDACTED_PATHS,
  type LogAttrs,
  type LogDestination,
  type LoggedError,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.ts';
export { formatTextLine } from './textFormat.ts';
