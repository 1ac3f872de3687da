import { ApiException, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createKubeSim, type KubeSim } from '../../kube-sim/src/index.ts';
import {
  BAD_USER_INPUT,
  codeOf,
  defineErrorCode,
  errorCode,
  errorCodes,
  KUBE_UNAVAILABLE,
  NOT_FOUND,
} from '../src/errors/index.ts';
import {
  isConflict,
  isForbidden,
  isGone,
  isNotFound,
  KubeHttpError,
  toKubeError,
} from '../src/kube/index.ts';

const BASE = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'CONFLICT',
  'TIMEOUT',
  'CLUSTER_UNREACHABLE',
  'KUBE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
];

describe('error codes', () => {
  it('err() builds a GraphQLError with extensions.code, field, more extensions and the cause', () => {
    const cause = new Error('root');
    const e = BAD_USER_INPUT.err('name is too long', {
      field: 'input.name',
      extensions: { code: 'SPOOFED', max: 63 },
      cause,
    });
    expect(e).toBeInstanceOf(GraphQLError);
    expect(e.message).toBe('name is too long');
    expect(e.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input.name', max: 63 });
    expect(e.originalError).toBe(cause);
    expect(NOT_FOUND.err('gone').extensions).toEqual({ code: 'NOT_FOUND' });
    expect(BAD_USER_INPUT.is(e)).toBe(true);
    expect(NOT_FOUND.is(e)).toBe(false);
    expect(codeOf(e)).toBe('BAD_USER_INPUT');
    expect(codeOf(new Error('x'))).toBeUndefined();
  });

  it('the registry lists every base code with a one-line description', () => {
    const codes = errorCodes();
    expect(codes.map((c) => c.code)).toEqual(expect.arrayContaining(BASE));
    for (const c of codes) {
      expect(c.description.length).toBeGreaterThan(0);
      expect(c.description).not.toContain('\n');
      expect(c.addedIn).toMatch(/^\d+\.\d+\.\d+$/);
    }
    expect(errorCode('KUBE_UNAVAILABLE')).toBe(KUBE_UNAVAILABLE);
    expect(errorCode('NOPE')).toBeUndefined();
  });

  it('a new code joins the registry; defining a code twice, or a badly named one, throws', () => {
    const c = defineErrorCode({ code: 'TEST_ONLY_CODE', description: 'For tests.', addedIn: '0.1.0' });
    expect(errorCodes()).toContain(c);
    expect(c.err('x').extensions['code']).toBe('TEST_ONLY_CODE');
    expect(() =>
      defineErrorCode({ code: 'TEST_ONLY_CODE', description: 'Again.', addedIn: '0.1.0' }),
    ).toThrow(/already defined/);
    expect(() => defineErrorCode({ code: 'NOT_FOUND', description: 'Again.', addedIn: '0.1.0' })).toThrow(
      /already defined/,
    );
    expect(() => defineErrorCode({ code: 'lower-case', description: 'Bad.', addedIn: '0.1.0' })).toThrow();
  });
});

describe('toKubeError against kube-sim', () => {
  let sim: KubeSim;
  let core: CoreV1Api;

  const failure = async (p: Promise<unknown>): Promise<unknown> => {
    try {
      await p;
    } catch (e) {
      return e;
    }
    throw new Error('expected the call to fail');
  };

  const kubeConfig = (token?: string) => {
    const c = sim.cluster();
    const kc = new KubeConfig();
    kc.loadFromString(token === undefined ? c.kubeconfig() : c.kubeconfig().replace(c.adminToken, token));
    return kc;
  };

  beforeAll(async () => {
    sim = await createKubeSim({ controllers: false });
    core = kubeConfig().makeApiClient(CoreV1Api);
  });
  afterAll(async () => {
    await sim.close();
  });

  it('404 on reading a missing ConfigMap → NOT_FOUND, with the Kubernetes message and reason', async () => {
    const raw = await failure(core.readNamespacedConfigMap({ name: 'missing', namespace: 'default' }));
    expect(raw).toBeInstanceOf(ApiException);
    const e = toKubeError(raw, { cluster: 'host' });
    expect(e.message).toBe('configmaps "missing" not found');
    expect(e.extensions).toEqual({
      code: 'NOT_FOUND',
      kubeStatus: 404,
      kubeReason: 'NotFound',
      cluster: 'host',
    });
    expect(e.originalError).toBe(raw);
    expect(isNotFound(raw)).toBe(true);
    expect(isNotFound(e)).toBe(true);
    expect(isConflict(raw) || isForbidden(raw) || isGone(raw)).toBe(false);
    expect(toKubeError(raw).extensions['cluster']).toBeUndefined();
  });

  it('409 on a duplicate create → CONFLICT', async () => {
    const body = { metadata: { name: 'dup' }, data: { a: '1' } };
    await core.createNamespacedConfigMap({ namespace: 'default', body });
    const raw = await failure(core.createNamespacedConfigMap({ namespace: 'default', body }));
    const e = toKubeError(raw);
    expect(e.extensions).toMatchObject({ code: 'CONFLICT', kubeStatus: 409, kubeReason: 'AlreadyExists' });
    expect(e.message).toContain('"dup" already exists');
    expect(isConflict(raw)).toBe(true);
    expect(isConflict(e)).toBe(true);
    expect(isNotFound(e)).toBe(false);
  });

  it('422 on a bad name → BAD_USER_INPUT with the field', async () => {
    const raw = await failure(
      core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'Bad_Name' } } }),
    );
    const e = toKubeError(raw);
    expect(e.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      kubeStatus: 422,
      kubeReason: 'Invalid',
      field: 'metadata.name',
    });
    expect(e.message).toMatch(/^ConfigMap "Bad_Name" is invalid: metadata\.name/);
  });

  it('401 with a wrong token → UNAUTHENTICATED', async () => {
    const bad = kubeConfig('not-a-valid-token').makeApiClient(CoreV1Api);
    const e = toKubeError(await failure(bad.listNamespacedConfigMap({ namespace: 'default' })));
    expect(e.extensions).toMatchObject({ code: 'UNAUTHENTICATED', kubeStatus: 401 });
  });

  it('503 → KUBE_UNAVAILABLE', async () => {
    sim.cluster().faults.failNext({ count: 1, status: 503 });
    const e = toKubeError(await failure(core.listNamespacedConfigMap({ namespace: 'default' })));
    expect(e.extensions).toMatchObject({
      code: 'KUBE_UNAVAILABLE',
      kubeStatus: 503,
      kubeReason: 'ServiceUnavailable',
    });
    expect(e.message).toBe('kube-sim: injected failure (503)');
  });

  it('a refused connection → KUBE_UNAVAILABLE with the network code', async () => {
    await sim.cluster().faults.offline('refuse');
    try {
      const raw = await failure(core.listNamespacedConfigMap({ namespace: 'default' }));
      const e = toKubeError(raw, { cluster: 'host' });
      expect(e.extensions).toEqual({
        code: 'KUBE_UNAVAILABLE',
        networkCode: 'ECONNREFUSED',
        cluster: 'host',
      });
      expect(e.message).toBe('cannot reach the Kubernetes API (ECONNREFUSED)');
      expect(isNotFound(raw) || isConflict(raw) || isForbidden(raw) || isGone(raw)).toBe(false);
    } finally {
      await sim.cluster().faults.online();
    }
  });
});

describe('toKubeError on informer errors', () => {
  it('keeps the Status of an informer LIST failure (KubeHttpError)', () => {
    const status = {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message:
        'pods is forbidden: User "victor" cannot list resource "pods" in API group "" in the namespace "iot"',
    };
    const e = toKubeError(
      new KubeHttpError(403, 'LIST /api/v1/namespaces/iot/pods: HTTP 403', JSON.stringify(status)),
    );
    expect(e.extensions).toMatchObject({ code: 'FORBIDDEN', kubeStatus: 403, kubeReason: 'Forbidden' });
    expect(e.message).toBe(status.message);
  });

  const status = (code: number, reason: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: `m${code}`,
      reason,
      code,
      ...extra,
    });
  const api = (code: number, body: unknown) => new ApiException(code, 'Unknown API Status Code!', body, {});

  it.each([
    [400, 'BadRequest', 'BAD_USER_INPUT'],
    [401, 'Unauthorized', 'UNAUTHENTICATED'],
    [403, 'Forbidden', 'FORBIDDEN'],
    [404, 'NotFound', 'NOT_FOUND'],
    [409, 'Conflict', 'CONFLICT'],
    [410, 'Expired', 'BAD_USER_INPUT'],
    [422, 'Invalid', 'BAD_USER_INPUT'],
    [429, 'TooManyRequests', 'KUBE_UNAVAILABLE'],
    [500, 'InternalError', 'KUBE_UNAVAILABLE'],
    [504, 'Timeout', 'KUBE_UNAVAILABLE'],
    [405, 'MethodNotAllowed', 'INTERNAL_SERVER_ERROR'],
  ])('HTTP %i (%s) → %s', (code, reason, expected) => {
    const e = toKubeError(api(code, status(code, reason)));
    expect(e.extensions).toMatchObject({ code: expected, kubeStatus: code, kubeReason: reason });
    expect(e.message).toBe(`m${code}`);
  });

  it('a body that is not a Status, or none, still maps by HTTP code', () => {
    expect(toKubeError(api(502, '<html>bad gateway</html>')).message).toBe('<html>bad gateway</html>');
    const e = toKubeError(api(500, undefined));
    expect(e.extensions).toEqual({ code: 'KUBE_UNAVAILABLE', kubeStatus: 500 });
    expect(e.message).toBe('the Kubernetes API answered 500');
  });

  it('client-node Watch errors (statusCode) and in-stream Status objects map and answer the predicates', () => {
    const watchErr = Object.assign(new Error('Gone'), { statusCode: 410 });
    expect(isGone(watchErr)).toBe(true);
    expect(isGone(toKubeError(watchErr))).toBe(true);
    const inStream = {
      kind: 'Status',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version: 1 (5)',
    };
    expect(isGone(inStream)).toBe(true);
    expect(toKubeError(inStream).extensions).toMatchObject({ kubeStatus: 410, kubeReason: 'Expired' });
    const forbidden = api(403, status(403, 'Forbidden'));
    expect(isForbidden(forbidden)).toBe(true);
    expect(isForbidden(toKubeError(forbidden))).toBe(true);
  });

  it('network, timeout and abort errors, and anything else', () => {
    const fetchFailed = (code: string) =>
      new TypeError('fetch failed', { cause: Object.assign(new Error(code), { code }) });
    expect(toKubeError(fetchFailed('ECONNRESET')).extensions).toEqual({
      code: 'KUBE_UNAVAILABLE',
      networkCode: 'ECONNRESET',
    });
    expect(toKubeError(fetchFailed('ETIMEDOUT')).extensions['code']).toBe('KUBE_UNAVAILABLE');
    expect(toKubeError(fetchFailed('UND_ERR_SOCKET')).extensions['code']).toBe('KUBE_UNAVAILABLE');
    expect(toKubeError(fetchFailed('UND_ERR_HEADERS_TIMEOUT')).extensions['code']).toBe('TIMEOUT');
    expect(toKubeError(new DOMException('aborted', 'AbortError')).extensions['code']).toBe('TIMEOUT');
    expect(toKubeError(new DOMException('timed out', 'TimeoutError')).extensions['code']).toBe('TIMEOUT');
    const plain = new Error('secret internals');
    const e = toKubeError(plain);
    expect(e.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(e.message).not.toContain('secret');
    expect(e.originalError).toBe(plain);
    expect(toKubeError('a string').extensions['code']).toBe('INTERNAL_SERVER_ERROR');
  });

  it('coded errors pass through, gaining the cluster when asked', () => {
    const coded = NOT_FOUND.err('nope', { extensions: { kubeStatus: 404 } });
    expect(toKubeError(coded)).toBe(coded);
    const withCluster = toKubeError(coded, { cluster: 'edge-1' });
    expect(withCluster.extensions).toEqual({ code: 'NOT_FOUND', kubeStatus: 404, cluster: 'edge-1' });
    expect(isNotFound(withCluster)).toBe(true);
  });
});
