export {
  ConfigError,
  getEnvBool,
  getEnvLogLevel,
  getEnvNum,
  getEnvOptionalStr,
  getEnvStr,
  type EnvBoolOptions,
  type EnvNumOptions,
  type EnvStrOptions,
} from './env.ts';
