import { createKubeSim, type KubeSim } from '@fleetgraph/kube-sim';
import type { UserInfo } from '@fleetgraph/lib/auth';
import { ADMIN, asUser, subgraphQuery, waitFor } from '@fleetgraph/lib/testing';
import type { Client } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ClustersSubgraph } from '../src/subgraph.ts';
import { compareVersions, parseVersion } from '../src/upgrades/model.ts';
import { LineDedup, timeKey } from '../src/upgrades/progress.ts';
import {
  createSubgraph,
  gql,
  type GqlError,
  type Leftovers,
  MALLORY,
  subscribe,
  userOf,
  wsClient,
} from './support.ts';

/**
 * Member-cluster upgrades against kube-sim's demo fleet (host and prod on v4.2.1, edge on v4.1.3) with its
 * controllers running: the ks-core controller on the host starts a Helm Job whose pod prints the upgrade log over
 * about 4 s. upgradeCluster's refusals, a failing and a successful upgrade followed by clusterUpgradeProgress
 * (late subscribers miss nothing), the UPGRADING status phase, and a log stream cut mid-upgrade.
 */

interface Upgrade {
  id: string;
  cluster: { name: string };
  action: string;
  fromVersion: string | null;
  toVersion: string | null;
  phase: string;
  startedAt: string | null;
  finishedAt: string | null;
  message: string | null;
  jobName: string;
  podName: string | null;
}
interface UpgradeEvent {
  kind: 'PHASE' | 'LOG' | 'COMPLETED';
  upgrade: Upgrade;
  line: { seq: number; time: string | null; text: string } | null;
}

const UPGRADE_FIELDS = `id cluster { name } action fromVersion toVersion phase startedAt finishedAt message jobName podName`;
const MUTATION = `mutation ($input: UpgradeClusterInput!) {
  upgradeCluster(input: $input) { upgrade { ${UPGRADE_FIELDS} } cluster { name kubesphereVersion } }
}`;
const PROGRESS = `subscription ($id: ID!) {
  clusterUpgradeProgress(upgradeId: $id) { kind upgrade { ${UPGRADE_FIELDS} } line { seq time text } }
}`;
const HELM_NS = 'kubesphere-system';

const leftovers: Leftovers = [];
afterAll(async () => {
  for (const dispose of leftovers.splice(0).reverse()) await dispose();
});

describe('clusters subgraph: member-cluster upgrades', () => {
  let sim: KubeSim;
  let subgraph: ClustersSubgraph;
  let client: Client;

  beforeAll(async () => {
    sim = await createKubeSim({
      fleet: 'demo',
      controllers: { startDelayMs: 50, pullMs: 50, logIntervalMs: 0 },
    });
    leftovers.unshift(() => sim.close());
    subgraph = createSubgraph(sim, leftovers);
    await subgraph.start();
    client = wsClient(subgraph, leftovers);
  });

  const upgrade = (name: string, version: string, user: UserInfo = ADMIN) =>
    gql<{ upgradeCluster: { upgrade: Upgrade; cluster: { name: string; kubesphereVersion: string } } }>(
      subgraph,
      MUTATION,
      { input: { name, version } },
      user,
    );

  function expectError(res: { data?: unknown; errors?: readonly GqlError[] }, code: string): GqlError {
    expect(res.data ?? null).toBeNull();
    expect(res.errors?.map((e) => e.extensions?.['code'])).toEqual([code]);
    return res.errors?.[0] as GqlError;
  }

  /** the Cluster object on the host */
  const stored = (name: string) =>
    sim.cluster('host').store.get('clusters.cluster.kubesphere.io', '', name) as unknown as {
      metadata: { annotations?: Record<string, string> };
      status: { kubeSphereVersion?: string; conditions?: Array<{ type: string; status: string }> };
    };

  /** rewrites the Cluster object on the host (as the test's stand-in for KubeSphere) */
  function editCluster(
    name: string,
    edit: (o: {
      metadata: { annotations?: Record<string, string> };
      status: { kubeSphereVersion?: string };
    }) => void,
  ): void {
    const o = structuredClone(stored(name));
    edit(o);
    sim.apply([o as never], 'host');
  }

  /** the helm container's whole log as kube-sim holds it */
  const podLog = (pod: string): string[] =>
    (sim.cluster('host').logs.read(HELM_NS, pod, 'helm')?.lines ?? []).map((l) => l.text);

  /** clusterUpgradeProgress as `user`: every event, and how the stream ended */
  function follow(id: string, user: UserInfo = ADMIN) {
    const events: UpgradeEvent[] = [];
    let end: (how: string) => void = () => undefined;
    const ended = new Promise<string>((r) => (end = r));
    const unsubscribe = client.subscribe<{ clusterUpgradeProgress: UpgradeEvent }>(
      asUser({ query: PROGRESS, variables: { id } }, user),
      {
        next: (v) => {
          if (v.errors) end(`errors: ${JSON.stringify(v.errors)}`);
          if (v.data) events.push(v.data.clusterUpgradeProgress);
        },
        error: (e) => end(`error: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
        complete: () => end('complete'),
      },
    );
    leftovers.push(unsubscribe);
    return { events, ended };
  }

  /** the shape every finished progress stream has: PHASE, LOG 1..n in the pod's order, COMPLETED last */
  function expectWholeStream(events: UpgradeEvent[], pod: string): UpgradeEvent {
    expect(events[0]?.kind).toBe('PHASE');
    const logs = events.filter((e) => e.kind === 'LOG');
    expect(logs.map((e) => e.line?.seq)).toEqual(logs.map((_, i) => i + 1));
    expect(logs.map((e) => e.line?.text)).toEqual(podLog(pod));
    expect(logs.every((e) => e.line?.time && !Number.isNaN(Date.parse(e.line.time)))).toBe(true);
    expect(events.filter((e) => e.kind === 'COMPLETED')).toHaveLength(1);
    const last = events.at(-1);
    expect(last?.kind).toBe('COMPLETED');
    return last as UpgradeEvent;
  }

  it('refuses: FORBIDDEN, CLUSTER_NOT_FOUND, the host, a bad or old version, VERSION_SKEW, an unreachable member', async () => {
    const forbidden = expectError(await upgrade('edge', 'v4.2.1', MALLORY), 'FORBIDDEN');
    expect(forbidden.message).toContain('mallory');
    expectError(await upgrade('nowhere', 'v4.2.1', MALLORY), 'FORBIDDEN');
    expectError(await upgrade('nowhere', 'v4.2.1'), 'CLUSTER_NOT_FOUND');
    expect(expectError(await upgrade('host', 'v4.2.1'), 'BAD_USER_INPUT').extensions?.['field']).toBe('name');
    for (const bad of ['4.2.1', 'v4.2', 'latest', 'v4.2.1 ']) {
      const e = expectError(await upgrade('edge', bad), 'BAD_USER_INPUT');
      expect(e.extensions?.['field']).toBe('version');
    }
    for (const old of ['v4.1.3', 'v4.1.0', 'v3.4.1', 'v4.1.3-rc.1']) {
      const e = expectError(await upgrade('edge', old), 'BAD_USER_INPUT');
      expect(e.message).toContain('not newer');
    }
    for (const skewed of ['v4.2.2', 'v4.3.0', 'v5.0.0']) {
      expect(expectError(await upgrade('edge', skewed), 'VERSION_SKEW').message).toContain('v4.2.1');
    }
    expectError(await upgrade('prod', 'v4.2.1'), 'BAD_USER_INPUT'); // prod is on v4.2.1 already

    await sim.cluster('edge').faults.offline('refuse');
    try {
      await waitFor(() => subgraph.monitor.get('edge')?.status.phase === 'UNREACHABLE', 'edge UNREACHABLE');
      expectError(await upgrade('edge', 'v4.2.1'), 'CLUSTER_UNREACHABLE');
    } finally {
      await sim.cluster('edge').faults.online();
    }
    await waitFor(() => subgraph.monitor.get('edge')?.status.phase === 'READY', 'edge READY again');
    // nothing was written
    expect(stored('edge').metadata.annotations?.['kubesphere.io/ks-core-action']).toBeUndefined();
    expect(stored('edge').metadata.annotations?.['kubesphere.io/install-core-jobname']).toBeUndefined();
  });

  it('a failing upgrade ends FAILED, with its last log lines, and the member keeps its version', async () => {
    editCluster('edge', (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, 'sim.fleetgraph.io/fail-ks-core': 'true' };
    });
    const since = sim.cluster('host').requestLog.at(-1)?.seq ?? 0;
    const res = await upgrade('edge', 'v4.2.1');
    expect(res.errors).toBeUndefined();
    // the trigger was written as the caller (impersonation), so the host's RBAC judged it too
    const patches = sim
      .cluster('host')
      .requestLog.filter((e) => e.seq > since && e.method === 'PATCH' && e.path.endsWith('/clusters/edge'));
    expect(patches.map((e) => [e.status, e.impersonateUser])).toEqual([[200, 'admin']]);
    const started = res.data?.upgradeCluster.upgrade as Upgrade;
    expect(started).toMatchObject({
      cluster: { name: 'edge' },
      action: 'upgrade',
      fromVersion: 'v4.1.3',
      toVersion: 'v4.2.1',
      jobName: started.id,
    });
    expect(started.id).toMatch(/^helm-install-ks-core-[a-z0-9]{6}$/);
    expect(['PENDING', 'RUNNING']).toContain(started.phase);

    const progress = follow(started.id);
    expect(await progress.ended).toBe('complete');
    const pod = progress.events.at(-1)?.upgrade.podName as string;
    const completed = expectWholeStream(progress.events, pod);
    expect(completed.upgrade.phase).toBe('FAILED');
    expect(completed.upgrade.finishedAt).not.toBeNull();
    expect(completed.upgrade.message).toBe('KS Core installation failed');
    const lines = progress.events.filter((e) => e.kind === 'LOG').map((e) => e.line?.text ?? '');
    expect(lines.slice(-5).join('\n')).toContain('UPGRADE FAILED');
    expect(lines.some((l) => /^Error: /.test(l))).toBe(true);

    const q = await gql<{
      cluster: {
        kubesphereVersion: string;
        conditions: Array<{ type: string; status: string; message: string | null }>;
        upgrade: Upgrade;
      };
    }>(
      subgraph,
      `{ cluster(name: "edge") { kubesphereVersion conditions { type status message } upgrade { id phase } } }`,
    );
    expect(q.data?.cluster.kubesphereVersion).toBe('v4.1.3');
    expect(q.data?.cluster.conditions).toContainEqual({
      type: 'KSCoreReady',
      status: 'False',
      message: 'KS Core installation failed',
    });
    expect(q.data?.cluster.upgrade).toMatchObject({ id: started.id, phase: 'FAILED' });
  });

  it('a successful upgrade of edge to v4.2.1: UPGRADING while it runs, every line for a late subscriber, then v4.2.1', async () => {
    editCluster('edge', (o) => {
      delete o.metadata.annotations?.['sim.fleetgraph.io/fail-ks-core'];
    });
    const status = subscribe(client, leftovers, { names: ['edge'] });
    await status.waitForEvent((c) => c.status.phase === 'READY', 'edge READY first');

    const res = await upgrade('edge', 'v4.2.1');
    expect(res.errors).toBeUndefined();
    const started = res.data?.upgradeCluster.upgrade as Upgrade;
    expect(started.toVersion).toBe('v4.2.1');
    // one at a time
    const again = expectError(await upgrade('edge', 'v4.2.1'), 'UPGRADE_IN_PROGRESS');
    expect(again.extensions?.['upgradeId']).toBe(started.id);

    const upgrading = await status.waitForEvent((c) => c.status.phase === 'UPGRADING', 'edge UPGRADING');
    expect(upgrading.status.ready).toBe(false);
    expect(upgrading.status.message).toContain(started.id);

    // join late: after the pod has printed a few lines
    const pod = await waitFor(async () => {
      const r = await gql<{ cluster: { upgrade: Upgrade } }>(
        subgraph,
        `{ cluster(name: "edge") { upgrade { podName } } }`,
      );
      const name = r.data?.cluster.upgrade.podName;
      return name && podLog(name).length >= 3 ? name : undefined;
    }, 'three lines of the upgrade log');
    const printedBefore = podLog(pod).length;
    const progress = follow(started.id);
    expect(await progress.ended).toBe('complete');
    const completed = expectWholeStream(progress.events, pod);
    expect(progress.events.filter((e) => e.kind === 'LOG').length).toBeGreaterThan(printedBefore);
    expect(completed.upgrade).toMatchObject({
      id: started.id,
      phase: 'SUCCEEDED',
      message: 'KS Core is available now',
      podName: pod,
    });

    const q = await gql<{
      cluster: {
        kubesphereVersion: string;
        conditions: Array<{ type: string; status: string; message: string | null }>;
        upgrade: Upgrade;
        upgrades: Upgrade[];
      };
    }>(
      subgraph,
      `{ cluster(name: "edge") { kubesphereVersion conditions { type status message }
         upgrade { id phase } upgrades(last: 5) { id phase } } }`,
    );
    expect(q.errors).toBeUndefined();
    expect(q.data?.cluster.kubesphereVersion).toBe('v4.2.1');
    expect(q.data?.cluster.conditions).toContainEqual({
      type: 'KSCoreReady',
      status: 'True',
      message: 'KS Core is available now',
    });
    expect(q.data?.cluster.upgrade).toEqual({ id: started.id, phase: 'SUCCEEDED' });
    expect(q.data?.cluster.upgrades.map((u) => u.phase)).toEqual(['SUCCEEDED', 'FAILED']);
    expect(q.data?.cluster.upgrades[0]?.id).toBe(started.id);

    const from = status.events.indexOf(upgrading);
    await status.waitForEvent((c) => c.status.phase === 'READY', 'edge READY after the upgrade', from);
    // edge is now as new as the host
    expectError(await upgrade('edge', 'v4.2.1'), 'BAD_USER_INPUT');
  });

  it('a late subscriber after the end gets the whole log; an unknown or invisible upgrade is UPGRADE_NOT_FOUND', async () => {
    const r = await gql<{ cluster: { upgrade: Upgrade } }>(
      subgraph,
      `{ cluster(name: "edge") { upgrade { id podName } } }`,
    );
    const { id, podName } = r.data?.cluster.upgrade as Upgrade;
    const after = follow(id);
    expect(await after.ended).toBe('complete');
    expectWholeStream(after.events, podName as string);

    for (const [upgradeId, user] of [
      ['helm-install-ks-core-nonono', ADMIN],
      [id, MALLORY],
    ] as const) {
      const p = follow(upgradeId, user);
      const how = await p.ended;
      expect(how).toContain('UPGRADE_NOT_FOUND');
      expect(p.events).toEqual([]);
    }

    // the ClusterUpgrade entity, by key: alike for an unknown upgrade and one of a cluster the caller may not see
    const entities = async (user: UserInfo) =>
      (
        await subgraphQuery(
          subgraph.url,
          'query ($r: [_Any!]!) { _entities(representations: $r) { ... on ClusterUpgrade { id podName pod { name } } } }',
          {
            variables: {
              r: [id, 'helm-install-ks-core-nonono'].map((i) => ({ __typename: 'ClusterUpgrade', id: i })),
            },
            user,
          },
        )
      ).data;
    expect(await entities(ADMIN)).toEqual({
      _entities: [{ id, podName, pod: { name: podName } }, null],
    });
    expect(await entities(MALLORY)).toEqual({ _entities: [null, null] });

    // frank sees edge (factory is placed there) but may not read pod logs in the host's kubesphere-system: the
    // upgrades are the platform's internals, so for him edge has none, and this one does not exist
    const frank = userOf(sim, 'frank');
    const seen = await gql<{ cluster: { name: string; upgrade: unknown; upgrades: unknown[] } | null }>(
      subgraph,
      '{ cluster(name: "edge") { name upgrade { id } upgrades { id } } }',
      {},
      frank,
    );
    expect(seen.data?.cluster).toEqual({ name: 'edge', upgrade: null, upgrades: [] });
    expect(await entities(frank)).toEqual({ _entities: [null, null] });
    const followed = follow(id, frank);
    expect(await followed.ended).toContain('UPGRADE_NOT_FOUND');
    expect(followed.events).toEqual([]);
  });

  it('a log stream cut mid-upgrade (the host restarts) loses and duplicates nothing', async () => {
    // back to v4.1.3, as if edge had never been upgraded
    editCluster('edge', (o) => {
      o.status.kubeSphereVersion = 'v4.1.3';
    });
    await waitFor(
      async () =>
        (
          await gql<{ cluster: { kubesphereVersion: string } }>(
            subgraph,
            `{ cluster(name: "edge") { kubesphereVersion } }`,
          )
        ).data?.cluster.kubesphereVersion === 'v4.1.3',
      'edge back on v4.1.3',
    );
    const res = await upgrade('edge', 'v4.2.1');
    expect(res.errors).toBeUndefined();
    const id = res.data?.upgradeCluster.upgrade.id as string;
    const progress = follow(id);
    await waitFor(() => progress.events.filter((e) => e.kind === 'LOG').length >= 2, 'two lines');
    // every connection to the host drops, the log stream's among them, for 300 ms
    await sim.cluster('host').restart(300);
    expect(await progress.ended).toBe('complete');
    const pod = progress.events.at(-1)?.upgrade.podName as string;
    const completed = expectWholeStream(progress.events, pod);
    expect(completed.upgrade.phase).toBe('SUCCEEDED');
    // the stream did reconnect: the host saw more than one follow of this pod's log
    // (earlier ones may have been refused while the container was still being created)
    const follows = sim
      .cluster('host')
      .requestLog.filter(
        (e) => e.path.endsWith(`/pods/${pod}/log`) && e.query.includes('follow=true') && e.status === 200,
      );
    expect(follows.length).toBeGreaterThan(1);
    expect(follows.slice(1).every((e) => e.query.includes('sinceTime='))).toBe(true);
  });

  it('Cluster.upgrades(last) is bounded', async () => {
    const r = await gql(subgraph, `{ cluster(name: "edge") { upgrades(last: 101) { id } } }`);
    expect(r.errors?.[0]?.extensions?.['code']).toBe('BAD_USER_INPUT');
    const one = await gql<{ cluster: { upgrades: unknown[] } }>(
      subgraph,
      `{ cluster(name: "edge") { upgrades(last: 1) { id } } }`,
    );
    expect(one.data?.cluster.upgrades).toHaveLength(1);
  });
});

describe('upgrade helpers', () => {
  it('LineDedup: after a reconnect from the whole second, only lines not sent yet pass, in order', () => {
    const d = new LineDedup();
    const t = (s: string) => `2026-11-26T10:00:0${s}Z`;
    const first = [
      { time: t('1.100000000'), text: 'a' },
      { time: t('1.2'), text: 'b' },
      { time: t('1.2'), text: 'c' }, // same timestamp as b: both count
    ];
    expect(first.map((l) => d.accept(l))).toEqual([true, true, true]);
    expect(d.since()).toBe('2026-11-26T10:00:01Z');
    d.reconnect();
    const again = [
      { time: t('0.9'), text: 'z' }, // before the second asked for: never sent again
      ...first,
      { time: t('1.200000000'), text: 'd' }, // a third line of that timestamp: new
      { time: t('2.0'), text: 'e' },
    ];
    expect(again.filter((l) => d.accept(l)).map((l) => l.text)).toEqual(['d', 'e']);
    expect(timeKey('2026-11-26T10:00:01.5Z')).toBe('2026-11-26T10:00:01.500000000Z');
  });

  it('versions: v-prefixed semver, pre-releases before their release', () => {
    const v = (s: string) => {
      const p = parseVersion(s);
      if (!p) throw new Error(s);
      return p;
    };
    expect(parseVersion('4.2.1')).toBeUndefined();
    expect(parseVersion('v4.2')).toBeUndefined();
    expect(parseVersion('v04.2.1')).toBeUndefined();
    expect(compareVersions(v('v4.2.1'), v('v4.1.3'))).toBeGreaterThan(0);
    expect(compareVersions(v('v4.2.0-rc.1'), v('v4.2.0'))).toBeLessThan(0);
    expect(compareVersions(v('v4.2.0-rc.2'), v('v4.2.0-rc.10'))).toBeLessThan(0);
    expect(compareVersions(v('v4.10.0'), v('v4.9.9'))).toBeGreaterThan(0);
    expect(compareVersions(v('v4.2.1+build.5'), v('v4.2.1'))).toBe(0);
  });
});
