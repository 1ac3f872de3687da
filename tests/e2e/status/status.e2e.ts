import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';

import type { FormattedExecutionResult as ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { kubeRequest, loadKubeConfig } from '@fleetgraph/lib/kube';

import { query, subscribe, type TestSubscription, wsClient } from '../../harness/graphqlClient.ts';
import { type Stack, startStack } from '../../harness/stack.ts';

/**
 * Status you can trust, end to end: for each fault kube-sim can cause on a member (edge), the transition reaches a
 * clusterStatusChanged subscriber through the gateway with the right phase and reason, found by a probe that
 * finished within one probe period plus the probe timeout of the fault (by the server's own lastProbeTime), and the
 * member returns to READY once the fault clears. Every scenario leaves edge READY for the next.
 */

const PROBE_PERIOD_MS = 500;
const PROBE_TIMEOUT_MS = 1500;
/**
 * the longest a fault may go unpublished: the next probe starts within a period and gives up after the timeout.
 * SLACK_MS covers what is not fleetgraph's to promise: the monitor waits its period after a round ends (a round of
 * healthy clusters takes a few ms), timers fire late by a few ms, and kube-sim applies offline and restart 10 ms
 * after it has answered the request.
 */
const SLACK_MS = 100;
const BOUND_MS = PROBE_PERIOD_MS + PROBE_TIMEOUT_MS + SLACK_MS;
const MEMBER = 'edge';
const CLUSTER_PATH = `/apis/cluster.kubesphere.io/v1alpha1/clusters/${MEMBER}`;

interface Status {
  phase: string;
  ready: boolean;
  reason: string;
  message: string;
  lastProbeTime: string | null;
  probeLatencyMs: number | null;
}

const STATUS_SUBSCRIPTION = `subscription ($names: [ID!]) {
  clusterStatusChanged(names: $names) {
    name status { phase ready reason message lastProbeTime probeLatencyMs }
  }
}`;

function statusOf(e: ExecutionResult): Status {
  const data = e.data as { clusterStatusChanged: { name: string; status: Status } } | null | undefined;
  if (!data) throw new Error(`event without data: ${JSON.stringify(e)}`);
  expect(data.clusterStatusChanged.name).toBe(MEMBER);
  return data.clusterStatusChanged.status;
}

let stack: Stack;
let outDir: string;
let admin: string;

/** the member's own /__sim/ control endpoint, with its cluster-admin kubeconfig */
async function sim(path: string, body: Record<string, unknown>): Promise<void> {
  const file = stack.kubeconfigs[MEMBER];
  if (!file) throw new Error(`no kubeconfig for ${MEMBER}`);
  await kubeRequest(loadKubeConfig({ kind: 'kubeconfig', path: file }), `/__sim/${path}`, {
    method: 'POST',
    body,
  });
}

const hostKc = () => loadKubeConfig({ kind: 'kubeconfig', path: stack.hostKubeconfig });

/** the member's Cluster object on the host: its base64 spec.connection.kubeconfig */
async function memberKubeconfig(): Promise<string> {
  const obj = await kubeRequest<{ spec: { connection: { kubeconfig: string } } }>(hostKc(), CLUSTER_PATH);
  return obj.spec.connection.kubeconfig;
}

async function setMemberKubeconfig(encoded: string): Promise<void> {
  await kubeRequest(hostKc(), CLUSTER_PATH, {
    method: 'PATCH',
    contentType: 'application/merge-patch+json',
    body: { spec: { connection: { kubeconfig: encoded } } },
  });
}

/** the member's kubeconfig (base64) with its token or CA replaced, as JSON (which is YAML) */
function altered(encoded: string, change: { token?: string; caPem?: string }): string {
  const kc = loadKubeConfig({ kind: 'inline', kubeconfig: Buffer.from(encoded, 'base64').toString('utf8') });
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster?.caData || !user?.token) throw new Error('the member kubeconfig has no CA data or token');
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster.name,
        cluster: {
          server: cluster.server,
          'certificate-authority-data':
            change.caPem !== undefined ? Buffer.from(change.caPem).toString('base64') : cluster.caData,
        },
      },
    ],
    users: [{ name: user.name, user: { token: change.token ?? user.token } }],
    contexts: [{ name: 'ctx', context: { cluster: cluster.name, user: user.name } }],
    'current-context': 'ctx',
  };
  return Buffer.from(JSON.stringify(config)).toString('base64');
}

/** a subscription to the member, whose first event (its current state) must be READY */
async function watchMember(): Promise<{ sub: TestSubscription; close: () => Promise<void> }> {
  const client = wsClient(stack.gatewayWsUrl, admin);
  const sub = subscribe(client, { query: STATUS_SUBSCRIPTION, variables: { names: [MEMBER] } });
  // its current state first; READY, unless an earlier scenario failed and left it to recover
  await sub.waitFor((e) => statusOf(e).phase === 'READY', 30_000);
  return {
    sub,
    close: async () => {
      sub.close();
      await client.dispose();
    },
  };
}

/**
 * injects a fault, waits for the first event that is not READY and checks it; then clears the fault (if `clear`)
 * and waits for READY again. Every event in between carries lastProbeTime and probeLatencyMs.
 */
async function scenario(options: {
  inject: () => Promise<void>;
  phase: string;
  reasons: string[];
  clear?: () => Promise<void>;
  /** the fault is a probe timeout: the probe that found it took the whole timeout */
  timeout?: boolean;
}): Promise<Status> {
  const { sub, close } = await watchMember();
  try {
    const injectedAt = Date.now();
    await options.inject();
    const down = statusOf(await sub.waitFor((e) => statusOf(e).phase !== 'READY', 30_000));
    expect(down.phase).toBe(options.phase);
    expect(down.ready).toBe(false);
    expect(options.reasons).toContain(down.reason);
    expect(down.message).not.toBe('');
    // when the probe that found the fault finished, by the server's clock
    const found = Date.parse(down.lastProbeTime ?? '');
    expect(found).toBeGreaterThanOrEqual(injectedAt);
    expect(found - injectedAt).toBeLessThanOrEqual(BOUND_MS);
    if (options.timeout) {
      expect(down.probeLatencyMs).toBeGreaterThanOrEqual(PROBE_TIMEOUT_MS - 5);
      expect(found - injectedAt).toBeGreaterThanOrEqual(PROBE_TIMEOUT_MS - 50);
    }
    await options.clear?.();
    const up = statusOf(await sub.waitFor((e) => statusOf(e).phase === 'READY', 30_000));
    expect(up).toMatchObject({ ready: true, reason: 'Ready' });
    for (const e of sub.events) {
      const s = statusOf(e);
      expect(Number.isNaN(Date.parse(s.lastProbeTime ?? ''))).toBe(false);
      expect(typeof s.probeLatencyMs).toBe('number');
      expect(s.probeLatencyMs).toBeGreaterThanOrEqual(0);
    }
    return down;
  } finally {
    await close();
  }
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'fleetgraph-status-'));
  stack = await startStack({
    port: 0,
    outDir,
    probePeriodMs: PROBE_PERIOD_MS,
    probeTimeoutMs: PROBE_TIMEOUT_MS,
    logLevel: 'warn',
  });
  admin = await stack.token('admin');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await rm(outDir, { recursive: true, force: true });
});

describe('member status transitions for each kube-sim fault, through the gateway', () => {
  it('offline (refuse): UNREACHABLE, connection refused or reset, then READY', async () => {
    await scenario({
      inject: () => sim('offline', { mode: 'refuse', forMs: 2000 }),
      phase: 'UNREACHABLE',
      // a new connection is refused; a probe that catches the listener closing sees its connection reset
      reasons: ['ConnectionRefused', 'ConnectionReset'],
    });
  });

  it('offline (hang): UNREACHABLE Timeout, then READY', async () => {
    await scenario({
      inject: () => sim('offline', { mode: 'hang', forMs: PROBE_TIMEOUT_MS + 2000 }),
      phase: 'UNREACHABLE',
      reasons: ['Timeout'],
      timeout: true,
    });
  });

  it('503 from /version: NOT_READY ServerError, then READY', async () => {
    const down = await scenario({
      inject: () => sim('fail', { count: 2, status: 503, pathPrefix: '/version' }),
      phase: 'NOT_READY',
      reasons: ['ServerError'],
      clear: () => sim('clear', {}),
    });
    expect(down.message).toMatch(/injected failure \(503\)/);
  });

  it('503 from /readyz: NOT_READY NotReady, then READY', async () => {
    await scenario({
      inject: () => sim('fail', { count: 2, status: 503, pathPrefix: '/readyz' }),
      phase: 'NOT_READY',
      reasons: ['NotReady'],
      clear: () => sim('clear', {}),
    });
  });

  it('403 from /version: UNAUTHORIZED Forbidden, then READY', async () => {
    await scenario({
      inject: () => sim('fail', { count: 2, status: 403, pathPrefix: '/version' }),
      phase: 'UNAUTHORIZED',
      reasons: ['Forbidden'],
      clear: () => sim('clear', {}),
    });
  });

  it('latency above the probe timeout: UNREACHABLE Timeout, then READY when it clears', async () => {
    await scenario({
      inject: () => sim('latency', { ms: PROBE_TIMEOUT_MS + 1000 }),
      phase: 'UNREACHABLE',
      reasons: ['Timeout'],
      timeout: true,
      clear: () => sim('clear', {}),
    });
  });

  it('a kubeconfig whose token the member rejects: UNAUTHORIZED Unauthorized, then READY restored', async () => {
    const original = await memberKubeconfig();
    try {
      await scenario({
        inject: () => setMemberKubeconfig(altered(original, { token: 'not-the-admin-token' })),
        phase: 'UNAUTHORIZED',
        reasons: ['Unauthorized'],
        clear: () => setMemberKubeconfig(original),
      });
    } finally {
      await setMemberKubeconfig(original);
    }
  });

  it('a kubeconfig with a CA that did not sign the member: UNREACHABLE CertificateInvalid, then READY restored', async () => {
    const original = await memberKubeconfig();
    // kube-sim signs every cluster with one fleet CA, so "another cluster's CA" is a CA from elsewhere
    const otherCa = rootCertificates[0];
    if (!otherCa) throw new Error('no root certificate to use as a wrong CA');
    try {
      await scenario({
        inject: () => setMemberKubeconfig(altered(original, { caPem: otherCa })),
        phase: 'UNREACHABLE',
        reasons: ['CertificateInvalid'],
        clear: () => setMemberKubeconfig(original),
      });
    } finally {
      await setMemberKubeconfig(original);
    }
  });

  it('a kubeconfig that is not a kubeconfig: UNREACHABLE InvalidKubeconfig, then READY restored', async () => {
    const original = await memberKubeconfig();
    try {
      for (const broken of [
        Buffer.from('{ this is: [not yaml').toString('base64'),
        Buffer.from('just a sentence, not a kubeconfig').toString('base64'),
      ]) {
        const down = await scenario({
          inject: () => setMemberKubeconfig(broken),
          phase: 'UNREACHABLE',
          reasons: ['InvalidKubeconfig'],
          clear: () => setMemberKubeconfig(original),
        });
        expect(down.message).toMatch(/kubeconfig/);
      }
    } finally {
      await setMemberKubeconfig(original);
    }
  });

  it('a listener restart: UNREACHABLE, then READY', async () => {
    await scenario({
      inject: () => sim('restart', { downMs: 2000 }),
      phase: 'UNREACHABLE',
      reasons: ['ConnectionRefused', 'ConnectionReset'],
    });
  });

  it('an upgrade in progress: UPGRADING, then READY when it ends', { timeout: 120_000 }, async () => {
    const { sub, close } = await watchMember();
    try {
      const r = await query(
        stack.gatewayUrl,
        'mutation { upgradeCluster(input: { name: "edge", version: "v4.2.1" }) { upgrade { id } } }',
        undefined,
        admin,
      );
      expect(r.errors).toBeUndefined();
      const id = (r.data as { upgradeCluster: { upgrade: { id: string } } }).upgradeCluster.upgrade.id;
      const upgrading = statusOf(await sub.waitFor((e) => statusOf(e).phase !== 'READY', 30_000));
      expect(upgrading).toMatchObject({ phase: 'UPGRADING', ready: false, reason: 'Upgrading' });
      expect(upgrading.message).toContain(id);
      const up = statusOf(await sub.waitFor((e) => statusOf(e).phase === 'READY', 90_000));
      expect(up).toMatchObject({ ready: true, reason: 'Ready' });
      for (const e of sub.events) {
        const s = statusOf(e);
        expect(Number.isNaN(Date.parse(s.lastProbeTime ?? ''))).toBe(false);
        expect(typeof s.probeLatencyMs).toBe('number');
      }
      const edge = await query(
        stack.gatewayUrl,
        '{ cluster(name: "edge") { kubesphereVersion upgrade { id phase } } }',
        undefined,
        admin,
      );
      expect(edge.data).toEqual({
        cluster: { kubesphereVersion: 'v4.2.1', upgrade: { id, phase: 'SUCCEEDED' } },
      });
    } finally {
      await close();
    }
  });
});
