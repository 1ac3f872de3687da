import type { KubeObject, StoredObject } from '../types.ts';
import type { ControllerContext } from './context.ts';
import type { Scheduler } from './scheduler.ts';
import {
  arr,
  controllerOf,
  controllerRef,
  num,
  obj,
  podActive,
  podAvailable,
  podReady,
  specOf,
  statusOf,
  str,
  templateHash,
} from './util.ts';

/**
 * The StatefulSet controller (pkg/controller/statefulset): pods `<name>-0` … `<name>-(n-1)` with stable names,
 * hostname and subdomain; OrderedReady creates them one at a time in order, each only once the one before is Running
 * and Ready, and removes them from the highest ordinal down; Parallel does not wait. RollingUpdate replaces pods
 * from the highest ordinal down to the partition, one at a time; OnDelete leaves that to the user. Status carries
 * replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas and the current and update
 * revisions (`<name>-<hash>`, also each pod's controller-revision-hash label). Claims from volumeClaimTemplates are
 * created Bound. ControllerRevision objects are not kept: templates of earlier revisions live in memory.
 */

const SOURCE = { component: 'statefulset-controller' };
const REVISION_LABEL = 'controller-revision-hash';

export class StatefulSetController {
  /** revision name → template, so a pod below the partition is recreated at its own revision */
  private readonly templates = new Map<string, unknown>();

  constructor(
    private readonly ctx: ControllerContext,
    private readonly scheduler: Scheduler,
  ) {}

  start(): void {
    this.ctx.watch('statefulsets.apps', (type, sts) => {
      if (type !== 'DELETED') this.enqueue(sts.metadata.namespace ?? '', sts.metadata.name);
    });
    this.ctx.watch('pods', (_type, pod) => {
      const ref = controllerOf(pod);
      if (ref?.kind === 'StatefulSet') this.enqueue(pod.metadata.namespace ?? '', ref.name);
    });
  }

  private enqueue(ns: string, name: string, afterMs = 0): void {
    const key = `statefulset/${ns}/${name}`;
    const work = (): void => this.sync(ns, name);
    if (afterMs > 0) this.ctx.queue.addAfter(key, afterMs, work);
    else this.ctx.queue.add(key, work);
  }

  private sync(ns: string, name: string): void {
    const sts = this.ctx.store.get('statefulsets.apps', ns, name);
    if (!sts) return;
    const spec = specOf(sts);
    const updateRevision = `${name}-${templateHash(spec['template'])}`;
    this.templates.set(updateRevision, spec['template']);
    const currentRevision = str(statusOf(sts)['currentRevision']) || updateRevision;
    if (!sts.metadata.deletionTimestamp) this.manage(sts, currentRevision, updateRevision);
    this.updateStatus(sts, currentRevision, updateRevision);
  }

  private pods(sts: StoredObject): Map<number, StoredObject> {
    const out = new Map<number, StoredObject>();
    const prefix = `${sts.metadata.name}-`;
    for (const { gr, object } of this.ctx.store.dependentsOf(sts.metadata.uid)) {
      if (gr !== 'pods' || controllerOf(object)?.uid !== sts.metadata.uid) continue;
      const ordinal = Number(object.metadata.name.slice(prefix.length));
      if (object.metadata.name.startsWith(prefix) && Number.isInteger(ordinal) && ordinal >= 0)
        out.set(ordinal, object);
    }
    return out;
  }

  private manage(sts: StoredObject, currentRevision: string, updateRevision: string): void {
    const spec = specOf(sts);
    const want = num(spec['replicas'], 1);
    const parallel = spec['podManagementPolicy'] === 'Parallel';
    const strategy = obj(spec['updateStrategy']);
    const rolling = str(strategy['type'], 'RollingUpdate') === 'RollingUpdate';
    const partition = num(obj(strategy['rollingUpdate'])['partition']);
    const pods = this.pods(sts);
    const podType = this.ctx.type('', 'v1', 'pods');
    const healthy = (p: StoredObject | undefined): boolean =>
      !!p && podActive(p) && statusOf(p)['phase'] === 'Running' && podReady(p);
    for (let i = 0; i < want; i++) {
      const pod = pods.get(i);
      if (pod && (statusOf(pod)['phase'] === 'Failed' || statusOf(pod)['phase'] === 'Succeeded')) {
        // a terminated pod is deleted and made again
        if (this.ctx.remove(podType, pod))
          this.event(
            sts,
            'SuccessfulDelete',
            `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`,
          );
        if (!parallel) return;
        continue;
      }
      if (!pod) {
        const revision = rolling && i < partition ? currentRevision : updateRevision;
        this.createPod(sts, i, revision);
        if (!parallel) return;
        continue;
      }
      if (!parallel && !healthy(pod)) return;
    }
    const condemned = [...pods.keys()].filter((i) => i >= want).sort((a, b) => b - a);
    for (const i of condemned) {
      const pod = pods.get(i);
      if (!pod || pod.metadata.deletionTimestamp) continue;
      if (!parallel && [...pods].some(([j, p]) => j < i && !healthy(p))) return;
      if (this.ctx.remove(podType, pod))
        this.event(
          sts,
          'SuccessfulDelete',
          `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`,
        );
      if (!parallel) return;
    }
    if (!rolling) return;
    for (let i = 0; i < want; i++) if (!healthy(pods.get(i))) return;
    for (let i = want - 1; i >= partition; i--) {
      const pod = pods.get(i);
      if (pod && pod.metadata.labels?.[REVISION_LABEL] !== updateRevision) {
        if (this.ctx.remove(podType, pod))
          this.event(
            sts,
            'SuccessfulDelete',
            `delete Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`,
          );
        return;
      }
    }
  }

  private createPod(sts: StoredObject, ordinal: number, revision: string): void {
    const ns = sts.metadata.namespace ?? '';
    const spec = specOf(sts);
    const template = obj(structuredClone(this.templates.get(revision) ?? spec['template']));
    const tmeta = obj(template['metadata']);
    const name = `${sts.metadata.name}-${ordinal}`;
    const podSpec = obj(template['spec']);
    podSpec['hostname'] = name;
    if (str(spec['serviceName'])) podSpec['subdomain'] = spec['serviceName'];
    const volumes = arr(podSpec['volumes']).map(obj);
    for (const claim of arr(spec['volumeClaimTemplates']).map(obj)) {
      const claimName = `${str(obj(claim['metadata'])['name'])}-${name}`;
      this.ensureClaim(sts, claim, claimName, name);
      const vname = str(obj(claim['metadata'])['name']);
      if (!volumes.some((v) => v['name'] === vname))
        volumes.push({ name: vname, persistentVolumeClaim: { claimName } });
    }
    if (volumes.length) podSpec['volumes'] = volumes;
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace: ns,
        labels: {
          ...(obj(tmeta['labels']) as Record<string, string>),
          [REVISION_LABEL]: revision,
          'statefulset.kubernetes.io/pod-name': name,
          'apps.kubernetes.io/pod-index': String(ordinal),
        },
        ownerReferences: [controllerRef(sts)],
      },
      spec: podSpec,
    };
    if (tmeta['annotations']) pod.metadata.annotations = obj(tmeta['annotations']) as Record<string, string>;
    this.scheduler.createPod(pod);
    this.event(sts, 'SuccessfulCreate', `create Pod ${name} in StatefulSet ${sts.metadata.name} successful`);
  }

  private ensureClaim(
    sts: StoredObject,
    claim: Record<string, unknown>,
    claimName: string,
    podName: string,
  ): void {
    const ns = sts.metadata.namespace ?? '';
    if (this.ctx.store.get('persistentvolumeclaims', ns, claimName)) return;
    const cspec = structuredClone(obj(claim['spec']));
    const storage = obj(obj(cspec['resources'])['requests'])['storage'] ?? '1Gi';
    this.ctx.create(this.ctx.type('', 'v1', 'persistentvolumeclaims'), {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name: claimName,
        namespace: ns,
        labels: obj(obj(claim['metadata'])['labels']) as Record<string, string>,
      },
      spec: { ...cspec, volumeName: `pvc-${this.ctx.uid()}` },
      status: {
        phase: 'Bound',
        accessModes: cspec['accessModes'] ?? ['ReadWriteOnce'],
        capacity: { storage },
      },
    });
    this.event(
      sts,
      'SuccessfulCreate',
      `create Claim ${claimName} Pod ${podName} in StatefulSet ${sts.metadata.name} success`,
    );
  }

  private event(sts: StoredObject, reason: string, message: string): void {
    this.ctx.events.record(sts, 'Normal', reason, message, SOURCE);
  }

  private updateStatus(sts: StoredObject, currentRevision: string, updateRevision: string): void {
    const now = this.ctx.now();
    const minReady = num(specOf(sts)['minReadySeconds']);
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let current = 0;
    let updated = 0;
    let waitAvailable = false;
    for (const pod of this.pods(sts).values()) {
      if (!podActive(pod)) continue;
      replicas++;
      if (podReady(pod)) {
        ready++;
        if (podAvailable(pod, minReady, now)) available++;
        else waitAvailable = true;
      }
      const rev = pod.metadata.labels?.[REVISION_LABEL];
      if (rev === currentRevision) current++;
      if (rev === updateRevision) updated++;
    }
    const rolling = str(obj(specOf(sts)['updateStrategy'])['type'], 'RollingUpdate') === 'RollingUpdate';
    let currentRev = currentRevision;
    if (
      rolling &&
      updated === replicas &&
      ready === replicas &&
      replicas === num(specOf(sts)['replicas'], 1)
    ) {
      current = updated;
      currentRev = updateRevision;
    }
    const latest =
      this.ctx.store.get('statefulsets.apps', sts.metadata.namespace ?? '', sts.metadata.name) ?? sts;
    this.ctx.patchStatus(this.ctx.type('apps', 'v1', 'statefulsets'), latest, (s) => {
      s['observedGeneration'] = latest.metadata.generation ?? 1;
      s['replicas'] = replicas;
      s['availableReplicas'] = available;
      for (const [k, v] of [
        ['readyReplicas', ready],
        ['currentReplicas', current],
        ['updatedReplicas', updated],
      ] as const) {
        if (v === 0) delete s[k];
        else s[k] = v;
      }
      s['currentRevision'] = currentRev;
      s['updateRevision'] = updateRevision;
      s['collisionCount'] = 0;
    });
    if (waitAvailable) this.enqueue(sts.metadata.namespace ?? '', sts.metadata.name, 1000);
  }
}
