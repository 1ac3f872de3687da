import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import {
  ConfigError,
  getEnvBool,
  getEnvLogLevel,
  getEnvNum,
  getEnvOptionalStr,
  getEnvSecret,
  getEnvStr,
} from '../src/config/index.ts';

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('getEnvStr', () => {
  it('returns the value', () => {
    expect(getEnvStr({ HOST: 'example.org' }, 'HOST')).toBe('example.org');
  });

  it('uses the default when unset or blank', () => {
    expect(getEnvStr({}, 'HOST', { default: 'localhost' })).toBe('localhost');
    expect(getEnvStr({ HOST: '  ' }, 'HOST', { default: 'localhost' })).toBe('localhost');
  });

  it('fails when missing without default, naming the variable', () => {
    const err = configError(() => getEnvStr({}, 'KUBECONFIG_PATH'));
    expect(err.message).toContain('KUBECONFIG_PATH');
    expect(err.variable).toBe('KUBECONFIG_PATH');
    expect(err.name).toBe('ConfigError');
  });

  it('checks allowed values and lists them', () => {
    const allowed = ['in-cluster', 'kubeconfig'] as const;
    expect(getEnvStr({ KUBE_SOURCE: 'kubeconfig' }, 'KUBE_SOURCE', { allowed })).toBe('kubeconfig');
    const err = configError(() => getEnvStr({ KUBE_SOURCE: 'magic' }, 'KUBE_SOURCE', { allowed }));
    expect(err.message).toContain('KUBE_SOURCE');
    expect(err.message).toContain('"in-cluster"');
    expect(err.message).toContain('"kubeconfig"');
    expect(err.message).toContain('"magic"');
    const missing = configError(() => getEnvStr({}, 'KUBE_SOURCE', { allowed }));
    expect(missing.message).toContain('"in-cluster"');
  });
});

describe('getEnvOptionalStr', () => {
  it('returns undefined when unset or blank', () => {
    expect(getEnvOptionalStr({}, 'X')).toBeUndefined();
    expect(getEnvOptionalStr({ X: '' }, 'X')).toBeUndefined();
    expect(getEnvOptionalStr({ X: 'v' }, 'X')).toBe('v');
  });
});

describe('getEnvNum', () => {
  it('parses numbers and uses defaults', () => {
    expect(getEnvNum({ PORT: '4000' }, 'PORT')).toBe(4000);
    expect(getEnvNum({ RATIO: ' 0.5 ' }, 'RATIO')).toBe(0.5);
    expect(getEnvNum({}, 'PORT', { default: 4000 })).toBe(4000);
  });

  it('rejects non-numbers, naming the variable', () => {
    for (const value of ['abc', '12abc', 'Infinity', 'NaN']) {
      const err = configError(() => getEnvNum({ PORT: value }, 'PORT'));
      expect(err.message).toContain('PORT');
      expect(err.message).toContain(JSON.stringify(value));
    }
  });

  it('checks integer, min and max, and says what is accepted', () => {
    const opts = { integer: true, min: 0, max: 65535 };
    expect(getEnvNum({ PORT: '0' }, 'PORT', opts)).toBe(0);
    expect(getEnvNum({ PORT: '65535' }, 'PORT', opts)).toBe(65535);
    for (const value of ['1.5', '-1', '65536']) {
      const err = configError(() => getEnvNum({ PORT: value }, 'PORT', opts));
      expect(err.message).toMatch(/PORT must be an integer from 0 to 65535/);
    }
    expect(configError(() => getEnvNum({ N: '0' }, 'N', { min: 1 })).message).toContain('>= 1');
    expect(configError(() => getEnvNum({ N: '9' }, 'N', { max: 8 })).message).toContain('<= 8');
  });

  it('fails when missing without default', () => {
    expect(configError(() => getEnvNum({}, 'PORT', { integer: true })).message).toMatch(/PORT.*integer/);
  });
});

describe('getEnvBool', () => {
  it('accepts 1/0, true/false, yes/no in any case', () => {
    for (const v of ['1', 'true', 'TRUE', 'Yes', 'yes'])
      expect(getEnvBool({ LOG_JSON: v }, 'LOG_JSON')).toBe(true);
    for (const v of ['0', 'false', 'False', 'NO', 'no'])
      expect(getEnvBool({ LOG_JSON: v }, 'LOG_JSON')).toBe(false);
  });

  it('uses the default when unset', () => {
    expect(getEnvBool({}, 'LOG_JSON', { default: false })).toBe(false);
    expect(getEnvBool({}, 'LOG_JSON', { default: true })).toBe(true);
  });

  it('rejects anything else, naming the variable and the accepted values', () => {
    const err = configError(() => getEnvBool({ LOG_JSON: 'on' }, 'LOG_JSON'));
    expect(err.message).toContain('LOG_JSON');
    expect(err.message).toContain('1/0, true/false or yes/no');
    expect(err.message).toContain('"on"');
    expect(configError(() => getEnvBool({}, 'LOG_JSON')).message).toContain('LOG_JSON');
  });
});

describe('getEnvLogLevel', () => {
  it('reads LOG_LEVEL by default, case-insensitively', () => {
    expect(getEnvLogLevel({ LOG_LEVEL: 'debug' })).toBe('debug');
    expect(getEnvLogLevel({ LOG_LEVEL: 'WARN' })).toBe('warn');
    expect(getEnvLogLevel({ LOG_LEVEL: 'silent' })).toBe('silent');
  });

  it('falls back when unset', () => {
    expect(getEnvLogLevel({})).toBe('info');
    expect(getEnvLogLevel({}, 'GATEWAY_LOG_LEVEL', 'warn')).toBe('warn');
    expect(getEnvLogLevel({ GATEWAY_LOG_LEVEL: 'trace' }, 'GATEWAY_LOG_LEVEL', 'warn')).toBe('trace');
  });

  it('rejects an unknown level, naming the variable and listing the levels', () => {
    const err = configError(() => getEnvLogLevel({ LOG_LEVEL: 'verbose' }));
    expect(err.message).toContain('LOG_LEVEL');
    expect(err.message).toContain('"verbose"');
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'silent']) {
      expect(err.message).toContain(`"${level}"`);
    }
  });
});

describe('getEnvSecret', () => {
  it('reads NAME, or the file NAME_FILE names (trimmed), and refuses both, an unreadable and an empty file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fleetgraph-secret-'));
    const file = join(dir, 'secret');
    writeFileSync(file, 'from-a-file\n');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '  \n');
    expect(getEnvSecret({ S: 'inline' }, 'S')).toBe('inline');
    expect(getEnvSecret({ S_FILE: file }, 'S')).toBe('from-a-file');
    expect(getEnvSecret({}, 'S')).toBeUndefined();
    const variableOf = (env: Record<string, string>) => {
      try {
        getEnvSecret(env, 'S');
      } catch (e) {
        return e instanceof ConfigError ? e.variable : 'not a ConfigError';
      }
      return 'no error';
    };
    expect(variableOf({ S: 'inline', S_FILE: file })).toBe('S');
    expect(variableOf({ S_FILE: join(dir, 'missing') })).toBe('S_FILE');
    expect(variableOf({ S_FILE: empty })).toBe('S_FILE');
  });
});
