import { describe, expect, it } from 'vitest';

import type { InformerLogger } from '../src/kube/informerTypes.ts';
import { createLogger, formatTextLine, silentLogger, type LoggerOptions } from '../src/telemetry/index.ts';

function sink(): { lines: string[]; text: () => string; write(s: string): void } {
  const lines: string[] = [];
  return {
    lines,
    text: () => lines.join(''),
    write(s: string) {
      lines.push(s);
    },
  };
}

function jsonLogger(options: LoggerOptions = {}) {
  const out = sink();
  const log = createLogger({ ...options, json: true, destination: out });
  const records = () => out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { log, out, records };
}

describe('levels', () => {
  it('defaults to info and filters lower levels', () => {
    const { log, records } = jsonLogger();
    expect(log.level).toBe('info');
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(records().map((r) => [r['level'], r['msg']])).toEqual([
      ['info', 'i'],
      ['warn', 'w'],
      ['error', 'e'],
    ]);
  });

  it('writes everything at trace and nothing at silent', () => {
    const all = jsonLogger({ level: 'trace' });
    for (const m of ['trace', 'debug', 'info', 'warn', 'error'] as const) all.log[m](m);
    expect(all.records().map((r) => r['level'])).toEqual(['trace', 'debug', 'info', 'warn', 'error']);

    const none = jsonLogger({ level: 'silent' });
    for (const m of ['trace', 'debug', 'info', 'warn', 'error'] as const) none.log[m](m);
    expect(none.out.lines).toEqual([]);
  });

  it('warn level drops info', () => {
    const { log, records } = jsonLogger({ level: 'warn' });
    log.info('no');
    log.warn('yes');
    expect(records().map((r) => r['msg'])).toEqual(['yes']);
  });

  it('rejects an unknown level', () => {
    expect(() => createLogger({ level: 'verbose' as never })).toThrow(/verbose/);
  });

  it('silentLogger writes nothing and its children are silent', () => {
    expect(silentLogger.level).toBe('silent');
    expect(() => silentLogger.child({ a: 1 }).error('x', { b: 2 })).not.toThrow();
  });

  it('fits the informer logger interface', () => {
    const { log, records } = jsonLogger({ level: 'debug' });
    const informerLog: InformerLogger = log;
    informerLog.debug('relist', { gvr: 'v1/pods' });
    informerLog.warn('restart', { backoffMs: 200 });
    expect(records().map((r) => r['msg'])).toEqual(['relist', 'restart']);
  });
});

describe('attributes', () => {
  it('JSON lines carry level, time, msg and the attributes at top level', () => {
    const { log, records } = jsonLogger({ attrs: { service: 'gateway' } });
    log.info('request done', { requestId: 'r1', ms: 12, ok: true });
    const [r] = records();
    expect(r).toMatchObject({
      level: 'info',
      msg: 'request done',
      service: 'gateway',
      requestId: 'r1',
      ms: 12,
    });
    expect(typeof r?.['time']).toBe('string');
    expect(Number.isNaN(Date.parse(String(r?.['time'])))).toBe(false);
  });

  it('child attributes merge with the parent and the call (the call wins)', () => {
    const { log, records } = jsonLogger({ attrs: { service: 'clusters' } });
    const child = log.child({ subgraph: 'clusters', namespace: 'a' });
    const grandchild = child.child({ namespace: 'b', name: 'pod-1' });
    grandchild.info('x', { resourceVersion: '7' });
    child.info('y', { namespace: 'c' });
    log.info('z');
    const [x, y, z] = records();
    expect(x).toMatchObject({ service: 'clusters', subgraph: 'clusters', namespace: 'b', name: 'pod-1' });
    expect(x?.['resourceVersion']).toBe('7');
    expect(y).toMatchObject({ subgraph: 'clusters', namespace: 'c' });
    expect(y).not.toHaveProperty('name');
    expect(z).not.toHaveProperty('subgraph');
    expect(grandchild.level).toBe('info');
  });

  it('renders Errors with name and message, and the stack only at debug/trace', () => {
    const info = jsonLogger();
    info.log.error('failed', { err: new TypeError('boom'), cause: new RangeError('deep') });
    const [r] = info.records();
    expect(r?.['err']).toEqual({ type: 'TypeError', message: 'boom' });
    expect(r?.['cause']).toEqual({ type: 'RangeError', message: 'deep' });

    const debug = jsonLogger({ level: 'debug' });
    debug.log.warn('failed', { err: new Error('outer', { cause: new Error('inner') }) });
    const err = debug.records()[0]?.['err'] as Record<string, unknown>;
    expect(err['type']).toBe('Error');
    expect(String(err['stack'])).toContain('telemetry.test.ts');
    expect(err['cause']).toMatchObject({ type: 'Error', message: 'inner' });
  });

  it('does not mutate the caller attributes', () => {
    const { log } = jsonLogger();
    const attrs = { token: 'abc', headers: { authorization: 'Bearer x' } };
    log.info('m', attrs);
    expect(attrs).toEqual({ token: 'abc', headers: { authorization: 'Bearer x' } });
  });
});

describe('redaction', () => {
  const SECRET = 'sup3r-s3cret-value';
  const cases: [string, Record<string, unknown>][] = [
    ['authorization', { authorization: `Bearer ${SECRET}` }],
    ['*.authorization', { upstream: { authorization: SECRET } }],
    ['headers.authorization', { headers: { authorization: `Bearer ${SECRET}`, accept: 'application/json' } }],
    ['token', { token: SECRET }],
    ['*.token', { kube: { token: SECRET } }],
    ['connectionParams', { connectionParams: { authToken: SECRET, nested: { x: SECRET } } }],
  ];

  for (const json of [true, false]) {
    for (const [path, attrs] of cases) {
      it(`redacts ${path} (${json ? 'JSON' : 'text'})`, () => {
        const out = sink();
        const log = createLogger({ json, destination: out, level: 'trace' });
        log.info('m', attrs);
        log.child(attrs).warn('child');
        log.child({ service: 'gateway' }).debug('d', attrs);
        expect(out.lines).toHaveLength(3);
        expect(out.text()).not.toContain(SECRET);
        expect(out.text()).toContain('[redacted]');
      });
    }
  }

  it('keeps the other keys next to a redacted one', () => {
    const { log, records } = jsonLogger();
    log.info('m', { headers: { authorization: 'x', accept: 'application/json' } });
    expect(records()[0]?.['headers']).toEqual({ authorization: '[redacted]', accept: 'application/json' });
  });
});

describe('text mode', () => {
  it('writes one readable line: time, level, [service], message, key=value', () => {
    const out = sink();
    const log = createLogger({ destination: out, attrs: { service: 'gateway' } });
    log.warn('upstream slow', { subgraph: 'clusters', ms: 1500, note: 'two words', obj: { a: 1 } });
    expect(out.lines).toHaveLength(1);
    expect(out.lines[0]).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}\[gateway\] upstream slow subgraph=clusters ms=1500 note="two words" obj=\{"a":1\}\n$/,
    );
  });

  it('omits the service bracket when there is no service', () => {
    const out = sink();
    createLogger({ destination: out }).info('plain', { a: 'b' });
    expect(out.lines[0]).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}plain a=b\n$/);
  });

  it('renders Errors as name: message, with the stack on following lines at debug', () => {
    const info = sink();
    createLogger({ destination: info }).error('failed', { err: new TypeError('boom') });
    expect(info.lines[0]).toMatch(/ ERROR failed err="TypeError: boom"\n$/);

    const debug = sink();
    createLogger({ destination: debug, level: 'debug' }).error('failed', { err: new TypeError('boom') });
    const [first, ...rest] = (debug.lines[0] ?? '').trimEnd().split('\n');
    expect(first).toMatch(/ ERROR failed err="TypeError: boom"$/);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every((l) => l.startsWith('    '))).toBe(true);
  });

  it('formats the clock in local time from the record time', () => {
    const t = new Date(2026, 0, 2, 3, 4, 5, 67);
    const line = formatTextLine(JSON.stringify({ level: 'debug', time: t.toISOString(), msg: 'm' }));
    expect(line).toBe('03:04:05.067 DEBUG m\n');
  });
});
