import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { namespace } from '../src/fleets/workloads.ts';
import { createKubeSim, demoFleet, type KubeSim, toFleetSpec, withKubeSphere } from '../src/index.ts';
import { raw } from './support.ts';
import { runSim } from './runSim.ts';

/** The demo fleet: KubeSphere's multi-cluster, tenant and IAM objects, its users, users.json, `npm start`. */

interface Meta {
  name: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; uid: string }[];
}
interface Obj {
  metadata: Meta;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  roleRef?: { apiGroup: string; kind: string; name: string };
  subjects?: { kind: string; name: string }[];
}
interface ClusterObj extends Obj {
  spec: { provider: string; connection: { type: string; kubeconfig: string; kubernetesAPIEndpoint: string } };
  status: {
    conditions: { type: string; status: string }[];
    kubernetesVersion: string;
    kubeSphereVersion: string;
    nodeCount: number;
    zones: string[];
    uid: string;
  };
}
interface UsersJson {
  clusters: Record<string, { url: string; kubeconfig: string }>;
  users: {
    name: string;
    token: string;
    groups: string[];
    globalRole?: string;
    workspaceRoles: Record<string, string>;
    projectRoles: Record<string, string>;
    kubeconfigs: Record<string, string>;
  }[];
}

const CLUSTERS = ['host', 'prod', 'edge'];
let sim: KubeSim;
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'kube-sim-demo-'));
  sim = await createKubeSim({ fleet: 'demo', outDir });
});
afterAll(async () => {
  await sim.close();
});

function kubeConfig(kubeconfig: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfig);
  return kc;
}

/** a KubeConfig for a demo user on a cluster: that user's token, the fleet's CA */
function userConfig(user: string, cluster: string): KubeConfig {
  const u = sim.users.find((x) => x.name === user);
  if (!u) throw new Error(`no demo user ${user}`);
  return kubeConfig(sim.cluster(cluster).kubeconfig(u.token, user));
}

async function list<T = Obj>(cluster: string, group: string, version: string, plural: string): Promise<T[]> {
  const api = kubeConfig(sim.cluster(cluster).kubeconfig()).makeApiClient(CustomObjectsApi);
  const res = (await api.listClusterCustomObject({ group, version, plural })) as { items: T[] };
  return res.items;
}

async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof ApiException) return e.code;
    throw e;
  }
}

describe('the demo fleet', () => {
  it('keeps its clusters and workloads', async () => {
    expect([...sim.clusters.keys()]).toEqual(CLUSTERS);
    const deployments = async (cluster: string, ns: string): Promise<string[]> => {
      const apps = kubeConfig(sim.cluster(cluster).kubeconfig()).makeApiClient(AppsV1Api);
      return (await apps.listNamespacedDeployment({ namespace: ns })).items.map(
        (d) => d.metadata?.name ?? '',
      );
    };
    expect((await deployments('prod', 'shop')).sort()).toEqual(['cart', 'storefront']);
    expect(await deployments('prod', 'payments')).toEqual(['payments-api']);
    expect((await deployments('edge', 'iot')).sort()).toEqual(['mqtt-broker', 'telemetry-ingest']);
  });

  it('has the KubeSphere CRDs established on every cluster', async () => {
    for (const cluster of CLUSTERS) {
      for (const gv of [
        'cluster.kubesphere.io/v1alpha1',
        'tenant.kubesphere.io/v1beta1',
        'iam.kubesphere.io/v1beta1',
      ]) {
        const res = await raw(sim, 'GET', `/apis/${gv}`, { cluster });
        expect(res.status, `${gv} on ${cluster}`).toBe(200);
      }
      const iam = (await raw(sim, 'GET', '/apis/iam.kubesphere.io/v1beta1', { cluster })).json as {
        resources: { name: string; namespaced: boolean }[];
      };
      expect(iam.resources.map((r) => r.name).sort()).toEqual([
        'globalrolebindings',
        'globalroles',
        'users',
        'workspacerolebindings',
        'workspaceroles',
      ]);
      expect(iam.resources.every((r) => !r.namespaced)).toBe(true);
    }
  });

  it('has a Cluster on the host for every cluster, whose kubeconfig works against that cluster', async () => {
    const objects = await list<ClusterObj>('host', 'cluster.kubesphere.io', 'v1alpha1', 'clusters');
    expect(objects.map((c) => c.metadata.name).sort()).toEqual([...CLUSTERS].sort());
    for (const c of objects) {
      const name = c.metadata.name;
      const member = sim.cluster(name);
      expect(c.spec.connection.type).toBe('direct');
      expect(c.spec.connection.kubernetesAPIEndpoint).toBe(member.url);
      expect(c.metadata.labels?.['cluster-role.kubesphere.io/host'] !== undefined).toBe(name === 'host');
      // the kubeconfig KubeSphere would use to reach the member: load it and list nodes
      const kc = kubeConfig(Buffer.from(c.spec.connection.kubeconfig, 'base64').toString('utf8'));
      const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items;
      expect(nodes.length).toBe(c.status.nodeCount);
      expect(nodes.every((n) => n.metadata?.name?.startsWith(`${name}-node-`))).toBe(true);
      const kubeSystem = await kc.makeApiClient(CoreV1Api).readNamespace({ name: 'kube-system' });
      expect(c.status.uid).toBe(kubeSystem.metadata?.uid);
      const version = (await raw(sim, 'GET', '/version', { cluster: name })).json as { gitVersion: string };
      expect(c.status.kubernetesVersion).toBe(version.gitVersion);
      expect(c.status.kubeSphereVersion).toBe(name === 'edge' ? 'v4.1.3' : 'v4.2.1');
      expect(c.status.zones).toEqual(['zone-1', 'zone-2']);
      const ready = c.status.conditions.find((x) => x.type === 'Ready');
      expect(ready?.status).toBe('True');
    }
    expect(objects.find((c) => c.metadata.name === 'prod')?.status.nodeCount).toBe(4);
    // the members hold no Cluster objects
    expect(await list('prod', 'cluster.kubesphere.io', 'v1alpha1', 'clusters')).toEqual([]);
  });

  it('places each workspace on its clusters; every workspace namespace is in a placed workspace', async () => {
    const templates = await list('host', 'tenant.kubesphere.io', 'v1beta1', 'workspacetemplates');
    const placement = new Map(
      templates.map((t) => [
        t.metadata.name,
        ((t.spec?.['placement'] as { clusters: { name: string }[] }).clusters ?? []).map((c) => c.name),
      ]),
    );
    expect(Object.fromEntries(placement)).toEqual({ factory: ['edge'], retail: ['prod'] });
    const seen: string[] = [];
    for (const cluster of CLUSTERS) {
      const workspaces = await list(cluster, 'tenant.kubesphere.io', 'v1beta1', 'workspaces');
      const expected = [...placement].filter(([, cs]) => cs.includes(cluster)).map(([ws]) => ws);
      expect(workspaces.map((w) => w.metadata.name).sort(), cluster).toEqual(expected.sort());
      for (const w of workspaces) {
        const template = templates.find((t) => t.metadata.name === w.metadata.name);
        expect(w.spec).toEqual((template?.spec?.['template'] as { spec: unknown }).spec);
      }
      const core = kubeConfig(sim.cluster(cluster).kubeconfig()).makeApiClient(CoreV1Api);
      const labelled = await core.listNamespace({ labelSelector: 'kubesphere.io/workspace' });
      for (const ns of labelled.items) {
        const ws = ns.metadata?.labels?.['kubesphere.io/workspace'] ?? '';
        const owner = workspaces.find((w) => w.metadata.name === ws);
        expect(owner, `${cluster}/${ns.metadata?.name ?? ''} in ${ws}`).toBeDefined();
        expect(ns.metadata?.ownerReferences?.[0]).toMatchObject({
          kind: 'Workspace',
          uid: owner?.metadata.uid,
        });
        seen.push(`${cluster}/${ns.metadata?.name ?? ''}=${ws}`);
      }
    }
    expect(seen.sort()).toEqual(['edge/iot=factory', 'prod/payments=retail', 'prod/shop=retail']);
  });

  it('has KubeSphere users, roles and bindings on the host', async () => {
    const users = await list('host', 'iam.kubesphere.io', 'v1beta1', 'users');
    expect(users.map((u) => u.metadata.name).sort()).toEqual(['admin', 'alice', 'frank', 'victor']);
    expect(users.every((u) => u.status?.['state'] === 'Active')).toBe(true);
    expect(users.find((u) => u.metadata.name === 'admin')?.metadata.annotations).toMatchObject({
      'iam.kubesphere.io/globalrole': 'platform-admin',
    });
    const globalBindings = await list('host', 'iam.kubesphere.io', 'v1beta1', 'globalrolebindings');
    expect(globalBindings.find((b) => b.metadata.name === 'admin-platform-admin')?.roleRef).toEqual({
      apiGroup: 'iam.kubesphere.io',
      kind: 'GlobalRole',
      name: 'platform-admin',
    });
    const roles = await list('host', 'iam.kubesphere.io', 'v1beta1', 'workspaceroles');
    const templates = await list('host', 'tenant.kubesphere.io', 'v1beta1', 'workspacetemplates');
    const wsBindings = await list('host', 'iam.kubesphere.io', 'v1beta1', 'workspacerolebindings');
    expect(
      wsBindings.map((b) => [
        b.metadata.name,
        b.metadata.labels?.['kubesphere.io/workspace'],
        b.roleRef?.name,
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['alice-retail-admin', 'retail', 'retail-admin'],
        ['victor-retail-viewer', 'retail', 'retail-viewer'],
        ['frank-factory-regular', 'factory', 'factory-regular'],
      ]),
    );
    for (const b of [...wsBindings, ...roles]) {
      const ws = b.metadata.labels?.['kubesphere.io/workspace'];
      const template = templates.find((t) => t.metadata.name === ws);
      expect(b.metadata.ownerReferences?.[0]?.uid, b.metadata.name).toBe(template?.metadata.uid);
    }
    for (const b of wsBindings) expect(roles.map((r) => r.metadata.name)).toContain(b.roleRef?.name);
  });

  it('gives each demo user the Kubernetes RBAC of their KubeSphere role on every cluster', async () => {
    const bindings = async (cluster: string): Promise<string[]> => {
      const rbac = kubeConfig(sim.cluster(cluster).kubeconfig()).makeApiClient(RbacAuthorizationV1Api);
      const crbs = (await rbac.listClusterRoleBinding()).items.filter(
        (b) => b.metadata?.labels?.['iam.kubesphere.io/user-ref'],
      );
      const rbs = (await rbac.listRoleBindingForAllNamespaces()).items.filter(
        (b) => b.metadata?.labels?.['iam.kubesphere.io/user-ref'],
      );
      return [
        ...crbs.map((b) => `${b.subjects?.[0]?.name ?? ''} → ClusterRole/${b.roleRef.name}`),
        ...rbs.map(
          (b) => `${b.subjects?.[0]?.name ?? ''} → ${b.metadata?.namespace ?? ''}:${b.roleRef.name}`,
        ),
      ].sort();
    };
    expect(await bindings('host')).toEqual(['admin → ClusterRole/cluster-admin']);
    expect(await bindings('prod')).toEqual([
      'admin → ClusterRole/cluster-admin',
      'alice → payments:admin',
      'alice → shop:admin',
      'victor → payments:view',
      'victor → shop:view',
    ]);
    expect(await bindings('edge')).toEqual(['admin → ClusterRole/cluster-admin', 'frank → iot:edit']);
  });
});

describe('demo users', () => {
  it('have one token that is valid on every cluster, and only theirs', async () => {
    expect(sim.users.map((u) => u.name)).toEqual(['admin', 'alice', 'victor', 'frank']);
    expect(new Set(sim.users.map((u) => u.token)).size).toBe(4);
    for (const u of sim.users) {
      for (const cluster of CLUSTERS) {
        const res = await raw(sim, 'GET', '/api', { cluster, token: u.token });
        expect(res.status, `${u.name} on ${cluster}`).toBe(200);
      }
    }
    expect((await raw(sim, 'GET', '/api', { cluster: 'prod', token: 'not-a-demo-token' })).status).toBe(401);
  });

  it('get a fresh random token at every start unless the spec fixes one', async () => {
    const spec = demoFleet();
    const users = spec.users ?? [];
    const admin = users.find((u) => u.name === 'admin');
    if (admin) admin.token = 'fixed-admin-token';
    await using other = await createKubeSim({ fleet: spec });
    expect(other.users.find((u) => u.name === 'admin')?.token).toBe('fixed-admin-token');
    const alice = (s: KubeSim): string | undefined => s.users.find((u) => u.name === 'alice')?.token;
    expect(alice(other)).not.toBe(alice(sim));
  });

  it('are in users.json with tokens, groups and KubeSphere roles, and have a kubeconfig per cluster', async () => {
    expect(sim.usersFile).toBe(join(outDir, 'users.json'));
    const doc = JSON.parse(await readFile(join(outDir, 'users.json'), 'utf8')) as UsersJson;
    expect(Object.keys(doc.clusters)).toEqual(CLUSTERS);
    expect(doc.clusters['prod']).toEqual({
      url: sim.cluster('prod').url,
      kubeconfig: join(outDir, 'prod.kubeconfig'),
    });
    const byName = Object.fromEntries(doc.users.map((u) => [u.name, u]));
    expect(byName['admin']).toMatchObject({ globalRole: 'platform-admin', workspaceRoles: {} });
    expect(byName['alice']).toMatchObject({
      globalRole: 'platform-regular',
      workspaceRoles: { retail: 'retail-admin' },
    });
    expect(byName['victor']?.workspaceRoles).toEqual({ retail: 'retail-viewer' });
    expect(byName['frank']).toMatchObject({
      workspaceRoles: { factory: 'factory-regular' },
      projectRoles: { iot: 'operator' },
    });
    expect((await stat(join(outDir, 'users.json'))).mode & 0o777).toBe(0o600);
    for (const u of doc.users) {
      expect(u.token).toBe(sim.users.find((x) => x.name === u.name)?.token);
      expect(u.groups).toEqual(['system:authenticated']);
      for (const cluster of CLUSTERS) {
        const path = join(outDir, `${cluster}.${u.name}.kubeconfig`);
        expect(u.kubeconfigs[cluster]).toBe(path);
        const kc = new KubeConfig();
        kc.loadFromString(await readFile(path, 'utf8'));
        expect(kc.getCurrentUser()).toMatchObject({ name: u.name, token: u.token });
        expect(kc.getCurrentCluster()?.caData).toBe(Buffer.from(sim.caPem).toString('base64'));
        expect(kc.getCurrentCluster()?.server).toBe(sim.cluster(cluster).url);
      }
    }
  });

  it('can do with their own kubeconfig what their role allows', async () => {
    const victor = userConfig('victor', 'prod').makeApiClient(CoreV1Api);
    const pods = await victor.listNamespacedPod({ namespace: 'shop' });
    expect(pods.items.length).toBeGreaterThan(0);
    const frank = userConfig('frank', 'edge').makeApiClient(CoreV1Api);
    const cm = { metadata: { name: 'frank-was-here' }, data: { shift: 'night' } };
    expect(await statusOf(frank.createNamespacedConfigMap({ namespace: 'iot', body: cm }))).toBe(200);
    for (const cluster of CLUSTERS) {
      const admin = userConfig('admin', cluster).makeApiClient(CoreV1Api);
      expect((await admin.listNode()).items.length).toBeGreaterThan(0);
    }
  });

  it('is refused what their role does not allow: a viewer cannot create a pod in shop (403)', async () => {
    const victor = userConfig('victor', 'prod').makeApiClient(CoreV1Api);
    const pod = {
      metadata: { name: 'victor-pod' },
      spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
    };
    expect(await statusOf(victor.createNamespacedPod({ namespace: 'shop', body: pod }))).toBe(403);
    const frank = userConfig('frank', 'prod').makeApiClient(CoreV1Api);
    expect(await statusOf(frank.listNamespacedPod({ namespace: 'shop' }))).toBe(403);
  });
});

describe('npm start', () => {
  it(
    'prints every cluster, a token for every demo user, and ends with kube-sim ready',
    { timeout: 60_000 },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'kube-sim-start-'));
      const started = Date.now();
      const run = runSim(['--fleet', 'demo', '--out', dir]);
      try {
        const printed = await run.ready;
        const lines = printed.trimEnd().split('\n');
        expect(lines.at(-1)).toBe('kube-sim ready');
        for (const cluster of CLUSTERS) {
          expect(printed).toMatch(
            new RegExp(
              `cluster ${cluster}\\s+https://127\\.0\\.0\\.1:\\d+\\s+kubeconfig \\S+${cluster}\\.kubeconfig`,
            ),
          );
        }
        const doc = JSON.parse(await readFile(join(dir, 'users.json'), 'utf8')) as UsersJson;
        for (const u of doc.users) {
          expect(printed).toContain(`user    ${u.name.padEnd(10)} token ${u.token}`);
        }
        expect(printed).toMatch(/user {4}admin {6}token \S+ {2}platform-admin\n/);
        expect(printed).toContain(`users   ${join(dir, 'users.json')}`);
        // what the printed token is for: victor can read shop on prod
        const victor = doc.users.find((u) => u.name === 'victor');
        const kc = new KubeConfig();
        kc.loadFromString(await readFile(victor?.kubeconfigs['prod'] ?? '', 'utf8'));
        expect(
          (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: 'shop' })).items.length,
        ).toBe(5);
        console.log(`npm start: ready in ${Date.now() - started} ms (process start included)`);
      } finally {
        run.stop();
      }
      expect(await run.exited).toBe(0);
    },
  );
});

describe('fleet spec: users and the multi-cluster hook', () => {
  it('gives any fleet Cluster objects on a multiCluster host, and fleet users on every cluster', async () => {
    const spec = toFleetSpec({
      clusters: [
        { name: 'hub', multiCluster: true, nodes: 1 },
        { name: 'spoke', nodes: [{ name: 'n1', labels: { 'topology.kubernetes.io/region': 'eu-1' } }] },
      ],
      users: [{ name: 'ops', token: 'ops-token', groups: ['ops'] }, { name: 'dev' }],
    });
    await using fleet = await createKubeSim({ fleet: spec });
    const clusters = fleet.cluster('hub').store.list('clusters.cluster.kubesphere.io');
    expect(clusters.map((c) => c.metadata.name)).toEqual(['hub', 'spoke']);
    expect((clusters[1]?.['status'] as { region?: string }).region).toBe('eu-1');
    expect(fleet.cluster('spoke').store.list('clusters.cluster.kubesphere.io')).toEqual([]);
    expect(fleet.users.map((u) => [u.name, u.groups])).toEqual([
      ['ops', ['ops', 'system:authenticated']],
      ['dev', ['system:authenticated']],
    ]);
    const dev = fleet.users[1]?.token ?? '';
    expect(dev).toMatch(/^[\w-]{32}$/);
    for (const cluster of ['hub', 'spoke']) {
      expect((await raw(fleet, 'GET', '/api', { cluster, token: 'ops-token' })).status).toBe(200);
      expect((await raw(fleet, 'GET', '/api', { cluster, token: dev })).status).toBe(200);
    }
    expect(fleet.usersFile).toBeUndefined();
  });

  it('refuses bad users and a bad multiCluster flag, naming the field', () => {
    expect(() => toFleetSpec({ clusters: [{ name: 'a', multiCluster: 'yes' }] })).toThrow(
      /clusters\[0\]\.multiCluster must be true or false/,
    );
    expect(() =>
      toFleetSpec({ clusters: [{ name: 'a' }], users: [{ name: 'x', token: 'has space' }] }),
    ).toThrow(/users\[0\]\.token must be a string without spaces/);
    expect(() => toFleetSpec({ clusters: [{ name: 'a' }], users: [{ name: 'x' }, { name: 'x' }] })).toThrow(
      /users\[1\]\.name "x" is used twice/,
    );
    expect(() => toFleetSpec({ clusters: [{ name: 'a', users: [{ name: 'x' }] }] })).toThrow(
      /clusters\[0\]\.users\[0\]\.token/,
    );
  });

  it('refuses a namespace whose workspace is not placed on its cluster', () => {
    expect(() =>
      withKubeSphere(
        { clusters: [{ name: 'a', objects: [namespace('shop', { 'kubesphere.io/workspace': 'retail' })] }] },
        { workspaces: [{ name: 'retail', clusters: ['b'], manager: 'admin' }], users: [] },
      ),
    ).toThrow(/namespace shop on a is in workspace retail, not placed there/);
  });
});
