import { KUBESPHERE_VERSION } from '../fleets/kubesphere.ts';
import type { KubeObject, StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import { SCRIPT } from './script.ts';
import { type Condition, conditionsOf, controllerRef, seeded, statusOf, ts } from './util.ts';

/**
 * KubeSphere's ks-core install/upgrade of a member cluster, as the host's cluster controller runs it
 * (pkg/controller/cluster/cluster_controller.go and the Helm executor of kubesphere/kubesphere; see
 * ../shared/reference/kubesphere-domain.md §4.2):
 *
 * 1. A cluster.kubesphere.io/v1alpha1 Cluster gets the annotation `kubesphere.io/ks-core-action` = `install`,
 *    `upgrade` or `reinstall`. The target version is `kubesphere.io/ks-core-version` (PROPOSED: KubeSphere
 *    installs the host's own chart; this annotation is ours), else the host's status.kubeSphereVersion.
 * 2. A batch/v1 Job `helm-install-ks-core-<rand6>` is made in the host's `kubesphere-system` (with a ConfigMap of
 *    the same name for the values), owned by the Cluster, backoffLimit 0, one container `helm` whose pod runs a
 *    script (`sim.fleetgraph.io/script`) printing a `helm upgrade --install ks-core` log over about 4 s, ending
 *    exit 0, or exit 1 with Helm's error lines when the Cluster carries `sim.fleetgraph.io/fail-ks-core: "true"`.
 * 3. One update of the Cluster: annotation `kubesphere.io/install-core-jobname` = the Job, the action annotation
 *    removed, the KSCoreReady condition removed from status.
 * 4. When the Job finishes (the Job controller's Complete / Failed condition, heard through a Job watch rather
 *    than KubeSphere's 2 s poll): success sets status.kubeSphereVersion to the target and KSCoreReady=True
 *    ("KS Core is available now"); failure sets KSCoreReady=False ("KS Core installation failed").
 *
 * A trigger that arrives while the Cluster's Job is still running starts nothing: the action annotation stays on
 * the Cluster and is taken up once that Job has finished and its result is recorded. Unlike KubeSphere, `upgrade`
 * is not gated on KSCoreReady=True or on the member's version differing from the host's: every trigger runs.
 * The controller runs in every cluster's controller manager and acts wherever Cluster objects live: the host.
 */

export const KS_CORE_ACTION = 'kubesphere.io/ks-core-action';
/** PROPOSED by fleetgraph: the version to install; @default the host's status.kubeSphereVersion */
export const KS_CORE_VERSION = 'kubesphere.io/ks-core-version';
/** on the Job: the member's status.kubeSphereVersion before the run */
export const KS_CORE_FROM_VERSION = 'kubesphere.io/ks-core-from-version';
export const INSTALL_CORE_JOBNAME = 'kubesphere.io/install-core-jobname';
/** test knob: `"true"` on a Cluster makes its ks-core jobs fail */
export const FAIL_KS_CORE = 'sim.fleetgraph.io/fail-ks-core';
/** on the Job: the member Cluster it installs */
export const KS_CORE_CLUSTER_LABEL = 'kubesphere.io/cluster';
export const KS_CORE_JOB_PREFIX = 'helm-install-ks-core-';
export const KS_CORE_ACTIONS = ['install', 'upgrade', 'reinstall'] as const;
export const HELM_EXECUTOR_IMAGE = 'kubesphere/kubectl:v1.27.16';

const NAMESPACE = 'kubesphere-system';
const CLUSTERS = 'clusters.cluster.kubesphere.io';
const HOST_LABEL = 'cluster-role.kubesphere.io/host';
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const CHART_VERSION = '1.1.4';

export class KsCoreController {
  private seq = 0;

  constructor(private readonly ctx: ControllerContext) {}

  start(): void {
    this.ctx.watch(CLUSTERS, (type, c) => {
      if (type !== 'DELETED') this.enqueue(c.metadata.name);
    });
    this.ctx.watch('jobs.batch', (type, job) => {
      const member = job.metadata.labels?.[KS_CORE_CLUSTER_LABEL];
      if (type !== 'DELETED' && member && job.metadata.namespace === NAMESPACE) this.enqueue(member);
    });
  }

  private enqueue(cluster: string): void {
    this.ctx.queue.add(`ks-core/${cluster}`, () => this.sync(cluster));
  }

  private sync(name: string): void {
    const cluster = this.ctx.store.get(CLUSTERS, '', name);
    if (!cluster || cluster.metadata.deletionTimestamp) return;
    const annotations = cluster.metadata.annotations ?? {};
    const jobName = annotations[INSTALL_CORE_JOBNAME];
    const ready = conditionsOf(statusOf(cluster)).find((c) => c.type === 'KSCoreReady');
    if (jobName && !ready) {
      // A run whose result is not recorded yet: wait for it to finish (a vanished Job counts as a failure).
      const job = this.ctx.store.get('jobs.batch', NAMESPACE, jobName);
      const done = job ? finishedCondition(job) : 'Failed';
      if (!done) return;
      this.record(cluster, job, done === 'Complete');
      return; // the write wakes this sync again, which takes up a trigger left waiting
    }
    const action = annotations[KS_CORE_ACTION];
    if (!action || !(KS_CORE_ACTIONS as readonly string[]).includes(action)) return;
    this.run(cluster, action);
  }

  private get clusterType() {
    return this.ctx.type('cluster.kubesphere.io', 'v1alpha1', 'clusters');
  }

  private hostVersion(): string {
    const host = this.ctx.store.list(CLUSTERS).find((c) => c.metadata.labels?.[HOST_LABEL] !== undefined);
    const v = host ? statusOf(host)['kubeSphereVersion'] : undefined;
    return typeof v === 'string' && v ? v : KUBESPHERE_VERSION;
  }

  private run(cluster: StoredObject, action: string): void {
    const annotations = cluster.metadata.annotations ?? {};
    const target = annotations[KS_CORE_VERSION] || this.hostVersion();
    const from = String(statusOf(cluster)['kubeSphereVersion'] ?? '');
    const fail = annotations[FAIL_KS_CORE] === 'true';
    const member = cluster.metadata.name;
    if (!this.ctx.store.get('namespaces', '', NAMESPACE))
      this.ctx.create(this.ctx.type('', 'v1', 'namespaces'), {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: NAMESPACE, labels: { 'kubernetes.io/metadata.name': NAMESPACE } },
      });
    let jobName = '';
    do jobName = `${KS_CORE_JOB_PREFIX}${this.suffix(member)}`;
    while (
      this.ctx.store.get('jobs.batch', NAMESPACE, jobName) ||
      this.ctx.store.get('configmaps', NAMESPACE, jobName)
    );
    const revision = this.revision(member);
    const now = this.ctx.now();
    const script = helmScript({ member, target, from, action, revision, fail, start: now });
    const job = this.ctx.create(this.ctx.type('batch', 'v1', 'jobs'), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: jobName,
        namespace: NAMESPACE,
        labels: { 'kubesphere.io/managed': 'true', name: jobName, [KS_CORE_CLUSTER_LABEL]: member },
        annotations: {
          [KS_CORE_ACTION]: action,
          [KS_CORE_VERSION]: target,
          [KS_CORE_FROM_VERSION]: from,
        },
        ownerReferences: [controllerRef(cluster)],
      },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: {
            labels: { 'kubesphere.io/managed': 'true', name: jobName },
            annotations: { [SCRIPT]: JSON.stringify(script) },
          },
          spec: {
            restartPolicy: 'Never',
            serviceAccountName: 'kubesphere',
            containers: [
              {
                name: 'helm',
                image: HELM_EXECUTOR_IMAGE,
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '-c'],
                args: [helmCommand(target)],
                resources: { requests: { cpu: '100m', memory: '128Mi' } },
                volumeMounts: [
                  { name: 'values', mountPath: '/etc/helm/values', readOnly: true },
                  { name: 'kubeconfig', mountPath: '/etc/helm/kubeconfig', readOnly: true },
                ],
              },
            ],
            volumes: [
              { name: 'values', configMap: { name: jobName } },
              {
                name: 'kubeconfig',
                configMap: { name: jobName, items: [{ key: 'kubeconfig', path: 'config' }] },
              },
            ],
          },
        },
      },
    });
    this.ctx.create(this.ctx.type('', 'v1', 'configmaps'), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: jobName,
        namespace: NAMESPACE,
        labels: { 'kubesphere.io/managed': 'true', name: jobName },
        ownerReferences: [controllerRef(job)],
      },
      data: {
        'values.yaml': valuesYaml(member, target, cluster),
        kubeconfig: Buffer.from(String(connectionOf(cluster)['kubeconfig'] ?? ''), 'base64').toString('utf8'),
      },
    });
    const next = structuredClone(cluster) as KubeObject;
    const nextAnnotations: Record<string, string> = { ...annotations, [INSTALL_CORE_JOBNAME]: jobName };
    delete nextAnnotations[KS_CORE_ACTION];
    next.metadata = { ...next.metadata, annotations: nextAnnotations };
    const status = { ...statusOf(next) };
    status['conditions'] = conditionsOf(status).filter((c) => c.type !== 'KSCoreReady');
    next['status'] = status;
    this.ctx.update(this.clusterType, cluster, next);
  }

  private record(cluster: StoredObject, job: StoredObject | undefined, ok: boolean): void {
    const t = ts(this.ctx.now());
    const condition: Condition = ok
      ? {
          type: 'KSCoreReady',
          status: 'True',
          lastUpdateTime: t,
          lastTransitionTime: t,
          reason: 'KSCoreReady',
          message: 'KS Core is available now',
        }
      : {
          type: 'KSCoreReady',
          status: 'False',
          lastUpdateTime: t,
          lastTransitionTime: t,
          reason: 'KSCoreNotReady',
          message: 'KS Core installation failed',
        };
    const next = structuredClone(cluster) as KubeObject;
    const status = { ...statusOf(next) };
    status['conditions'] = [...conditionsOf(status).filter((c) => c.type !== 'KSCoreReady'), condition];
    const target = job?.metadata.annotations?.[KS_CORE_VERSION];
    if (ok && target) status['kubeSphereVersion'] = target;
    next['status'] = status;
    this.ctx.update(this.clusterType, cluster, next);
  }

  /** Helm's release revision on the member: its first install, plus one per earlier successful job */
  private revision(member: string): number {
    const done = this.ctx.store
      .list('jobs.batch', NAMESPACE)
      .filter(
        (j) => j.metadata.labels?.[KS_CORE_CLUSTER_LABEL] === member && finishedCondition(j) === 'Complete',
      );
    return 2 + done.length;
  }

  /** six characters of apimachinery's rand.String alphabet, deterministic from the seed */
  private suffix(member: string): string {
    const r = seeded(`${this.ctx.options.seed}/ks-core/${member}/${++this.seq}`);
    let s = '';
    for (let i = 0; i < 6; i++) s += ALPHABET[Math.floor(r() * ALPHABET.length)] ?? 'x';
    return s;
  }
}

function finishedCondition(job: KubeObject): 'Complete' | 'Failed' | undefined {
  const c = conditionsOf(statusOf(job)).find(
    (x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True',
  );
  return c?.type as 'Complete' | 'Failed' | undefined;
}

function connectionOf(cluster: KubeObject): Record<string, unknown> {
  const spec = cluster['spec'];
  const conn =
    typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)['connection'] : {};
  return typeof conn === 'object' && conn !== null ? (conn as Record<string, unknown>) : {};
}

function helmCommand(target: string): string {
  return [
    'helm upgrade --install ks-core /chart/ks-core.tgz',
    '--namespace kubesphere-system --create-namespace',
    '--kubeconfig /etc/helm/kubeconfig/config',
    '--values /etc/helm/values/values.yaml',
    `--set global.tag=${target}`,
    '--wait --timeout 5m0s --debug',
  ].join(' ');
}

function valuesYaml(member: string, target: string, cluster: KubeObject): string {
  const spec = cluster['spec'];
  const config = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>)['config'] : '';
  const custom = typeof config === 'string' && config ? Buffer.from(config, 'base64').toString('utf8') : '';
  return [
    'global:',
    '  imageRegistry: docker.io',
    `  tag: ${target}`,
    'role: member',
    'multicluster:',
    '  role: member',
    `  clusterName: ${member}`,
    'ksCRDs:',
    '  preserveCRDs: true',
    ...(custom ? ['# spec.config of the Cluster', custom] : []),
    '',
  ].join('\n');
}

export interface HelmScriptOptions {
  member: string;
  target: string;
  from: string;
  action: string;
  revision: number;
  fail: boolean;
  /** clock ms when the Job is created (for LAST DEPLOYED) */
  start: number;
}

/** the steps of the `helm` container: a `helm upgrade --install ks-core --debug` log over about 4 s */
export function helmScript(o: HelmScriptOptions): { after: string; line?: string; exit?: number }[] {
  const steps: { after: string; line?: string; exit?: number }[] = [];
  const line = (ms: number, text: string): void => {
    steps.push({ after: `${ms}ms`, line: text });
  };
  const install = o.action === 'install' && !o.from;
  line(50, `+ ${helmCommand(o.target)}`);
  line(
    60,
    `upgrade.go:160: [debug] CHART PATH: /chart/ks-core.tgz (ks-core-${CHART_VERSION}, appVersion ${o.target})`,
  );
  line(150, 'history.go:56: [debug] getting history for release ks-core');
  if (install) {
    line(80, 'Release "ks-core" does not exist. Installing it now.');
    line(90, 'install.go:214: [debug] rendering values: global.tag, role=member, multicluster.clusterName');
  } else {
    line(
      90,
      `upgrade.go:164: [debug] preparing upgrade for ks-core (${o.from || 'unknown'} -> ${o.target}, cluster ${o.member})`,
    );
    line(120, 'upgrade.go:172: [debug] rendering values: global.tag, role=member, multicluster.clusterName');
  }
  line(180, 'client.go:142: [debug] creating 1 resource(s)');
  line(60, 'client.go:712: [debug] Watching for changes to Job ks-crds-pre-upgrade with timeout of 5m0s');
  line(270, 'client.go:779: [debug] ks-crds-pre-upgrade: Jobs active: 1, jobs failed: 0, jobs succeeded: 0');
  line(400, 'client.go:740: [debug] Add/Modify event for ks-crds-pre-upgrade: MODIFIED');
  line(
    20,
    'upgrade.go:320: [debug] upgrading CRDs: 27 CustomResourceDefinitions applied (kubesphere.io, iam, tenant, cluster)',
  );
  line(120, `upgrade.go:312: [debug] performing update for ks-core`);
  line(90, `upgrade.go:519: [debug] creating upgraded release for ks-core`);
  line(120, 'client.go:393: [debug] checking 86 resources for changes');
  line(100, 'client.go:684: [debug] Patch ConfigMap "kubesphere-config" in namespace kubesphere-system');
  if (o.fail) {
    line(
      140,
      `client.go:428: [debug] error updating the resource "ks-apiserver": cannot patch "ks-apiserver" with kind Deployment: Deployment.apps "ks-apiserver" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"ks-apiserver","tier":"backend"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable`,
    );
    line(
      60,
      `upgrade.go:476: [debug] warning: Upgrade "ks-core" failed: cannot patch "ks-apiserver" with kind Deployment: Deployment.apps "ks-apiserver" is invalid: spec.selector: field is immutable`,
    );
    line(40, 'upgrade.go:434: [debug] updating status for upgraded release for ks-core');
    line(
      30,
      'Error: UPGRADE FAILED: cannot patch "ks-apiserver" with kind Deployment: Deployment.apps "ks-apiserver" is invalid: spec.selector: field is immutable',
    );
    line(
      20,
      'helm.go:84: [debug] cannot patch "ks-apiserver" with kind Deployment: Deployment.apps "ks-apiserver" is invalid: spec.selector: field is immutable',
    );
    line(10, 'helm.go:84: [debug] UPGRADE FAILED');
    line(10, 'main.newUpgradeCmd.func2');
    line(10, '\thelm.sh/helm/v3/cmd/helm/upgrade.go:251');
    steps.push({ after: '100ms', exit: 1 });
    return steps;
  }
  line(140, 'client.go:684: [debug] Patch Deployment "ks-apiserver" in namespace kubesphere-system');
  line(90, 'client.go:684: [debug] Patch Deployment "ks-controller-manager" in namespace kubesphere-system');
  line(90, 'client.go:684: [debug] Patch Deployment "ks-console" in namespace kubesphere-system');
  line(80, 'wait.go:48: [debug] beginning wait for 86 resources with timeout of 5m0s');
  line(
    300,
    'ready.go:304: [debug] Deployment is not ready: kubesphere-system/ks-apiserver. 0 out of 1 expected pods are ready',
  );
  line(
    400,
    'ready.go:304: [debug] Deployment is not ready: kubesphere-system/ks-controller-manager. 0 out of 1 expected pods are ready',
  );
  line(
    300,
    'ready.go:304: [debug] Deployment is not ready: kubesphere-system/ks-console. 0 out of 1 expected pods are ready',
  );
  line(430, 'upgrade.go:434: [debug] updating status for upgraded release for ks-core');
  line(30, install ? 'NAME: ks-core' : 'Release "ks-core" has been upgraded. Happy Helming!');
  if (!install) line(5, 'NAME: ks-core');
  line(5, `LAST DEPLOYED: ${helmDate(o.start + 4_000)}`);
  line(5, 'NAMESPACE: kubesphere-system');
  line(5, 'STATUS: deployed');
  line(5, `REVISION: ${install ? 1 : o.revision}`);
  line(5, 'TEST SUITE: None');
  steps.push({ after: '100ms', exit: 0 });
  return steps;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.ANSIC, as helm prints LAST DEPLOYED */
function helmDate(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()] ?? 'Mon'} ${MONTHS[d.getUTCMonth()] ?? 'Jan'} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}
