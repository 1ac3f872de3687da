export {
  ConfigError,
  getEnvBool,
  getEnvLogLevel,
  getEnvNum,
  getEnvOptionalStr,
  getEnvSecret,
  getEnvStr,
  type EnvBoolOptions,
  type EnvNumOptions,
  type EnvStrOptions,
} from './env.ts';
