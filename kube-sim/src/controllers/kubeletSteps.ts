import type { StoredObject } from '../types.ts';
import type { Kubelet } from './kubelet.ts';
import type { ContainerRuntime, PodRuntime } from './podRuntime.ts';
import { startupLines } from './script.ts';
import { containersOf, fnv32a, obj, specOf, str } from './util.ts';

/** The steps of a pod's life on a kubelet; each returns true when the pod's status changed. */

const MAX_BACKOFF = 300_000;

function event(
  k: Kubelet,
  rt: PodRuntime,
  pod: StoredObject,
  c: ContainerRuntime | undefined,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
): void {
  const fieldPath = c ? `spec.containers{${c.name}}` : undefined;
  k.ctx.events.record(pod, type, reason, message, { component: 'kubelet', host: rt.node }, fieldPath);
}

const pullPolicy = (pod: StoredObject, c: ContainerRuntime): string => {
  const spec = containersOf(specOf(pod)).find((x) => x['name'] === c.name) ?? {};
  const explicit = str(obj(spec)['imagePullPolicy']);
  if (explicit) return explicit;
  return c.image.endsWith(':latest') || !c.image.includes(':') ? 'Always' : 'IfNotPresent';
};

const mustPull = (k: Kubelet, rt: PodRuntime, pod: StoredObject, c: ContainerRuntime): boolean =>
  pullPolicy(pod, c) === 'Always' || !(k.images.get(rt.node)?.has(c.image) ?? false);

/** sandbox created: ContainerCreating, and a pull started for images the node lacks */
export function startPod(k: Kubelet, rt: PodRuntime, pod: StoredObject, now: number): boolean {
  rt.stage = 'pulling';
  rt.startTime = now;
  rt.hostIP = k.hostIP(rt.node);
  for (const c of rt.containers) {
    c.state = 'waiting';
    c.reason = 'ContainerCreating';
    if (mustPull(k, rt, pod, c)) {
      rt.pulling.add(c.name);
      event(k, rt, pod, c, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
    }
  }
  rt.stageAt = now + (rt.pulling.size > 0 ? rt.pullMs : Math.min(rt.pullMs, 100));
  return true;
}

/** images in place: containers created and started (or the pull failed, and is retried with back-off) */
export function runContainers(k: Kubelet, rt: PodRuntime, pod: StoredObject, now: number): boolean {
  if (rt.pullFails) {
    const first = rt.containers[0];
    const backoff = first?.backoffMs ?? 10_000;
    for (const c of rt.containers) {
      const retry = c.reason === 'ErrImagePull' || c.reason === 'ImagePullBackOff';
      if (!retry) {
        event(
          k,
          rt,
          pod,
          c,
          'Warning',
          'Failed',
          `Failed to pull image "${c.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}": not found`,
        );
        event(k, rt, pod, c, 'Warning', 'Failed', 'Error: ErrImagePull');
      } else {
        event(k, rt, pod, c, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        event(k, rt, pod, c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      }
      c.reason = retry ? 'ImagePullBackOff' : 'ErrImagePull';
      c.message = retry
        ? `Back-off pulling image "${c.image}"`
        : `rpc error: code = NotFound desc = failed to pull and unpack image "${c.image}"`;
      c.backoffMs = Math.min(MAX_BACKOFF, backoff * 2);
    }
    rt.stageAt = now + backoff;
    return true;
  }
  let images = k.images.get(rt.node);
  if (!images) k.images.set(rt.node, (images = new Set()));
  for (const c of rt.containers) {
    if (rt.pulling.delete(c.name)) {
      const secs = (rt.pullMs / 1000).toFixed(3).replace(/\.?0+$/, '') || '0';
      const size = 10_000_000 + (fnv32a(c.image) % 90_000_000);
      event(
        k,
        rt,
        pod,
        c,
        'Normal',
        'Pulled',
        `Successfully pulled image "${c.image}" in ${secs}s (${secs}s including waiting). Image size: ${size} bytes.`,
      );
      images.add(c.image);
    } else {
      event(k, rt, pod, c, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
    }
    startContainer(k, rt, pod, c, now);
  }
  rt.stage = 'running';
  rt.phase = 'Running';
  rt.podIP ??= k.nextPodIP(rt.node);
  return true;
}

function startContainer(
  k: Kubelet,
  rt: PodRuntime,
  pod: StoredObject,
  c: ContainerRuntime,
  at: number,
): void {
  event(k, rt, pod, c, 'Normal', 'Created', `Created container ${c.name}`);
  event(k, rt, pod, c, 'Normal', 'Started', `Started container ${c.name}`);
  c.state = 'running';
  delete c.reason;
  delete c.message;
  delete c.exitCode;
  delete c.finishedAt;
  delete c.retryAt;
  c.startedAt = at;
  c.everStarted = true;
  c.ready = rt.readyAfterMs <= 0;
  if (!c.ready) c.readyAt = at + rt.readyAfterMs;
  if (c.script) {
    c.step = 0;
    c.stepAt = at + (c.script[0]?.after ?? 0);
  } else {
    for (const line of startupLines(c.image, c.name, at))
      k.ctx.logs?.append(rt.namespace, rt.name, c.name, line, at);
  }
}

function terminate(
  k: Kubelet,
  rt: PodRuntime,
  pod: StoredObject,
  c: ContainerRuntime,
  code: number,
  at: number,
): void {
  k.ctx.logs?.terminate(rt.namespace, rt.name, c.name);
  c.state = 'terminated';
  c.exitCode = code;
  c.reason = code === 0 ? 'Completed' : 'Error';
  c.finishedAt = at;
  c.ready = false;
  delete c.readyAt;
  delete c.stepAt;
  const restart = rt.restartPolicy === 'Always' || (rt.restartPolicy === 'OnFailure' && code !== 0);
  if (!restart) return;
  c.lastTerminated = {
    exitCode: code,
    reason: c.reason,
    startedAt: new Date(c.startedAt ?? at).toISOString().replace(/\.\d+Z$/, 'Z'),
    finishedAt: new Date(at).toISOString().replace(/\.\d+Z$/, 'Z'),
    containerID: '',
  };
  c.state = 'waiting';
  c.reason = 'CrashLoopBackOff';
  c.message = `back-off ${c.backoffMs / 1000}s restarting failed container=${c.name} pod=${rt.name}_${rt.namespace}(${rt.uid})`;
  c.retryAt = at + c.backoffMs;
  c.backoffMs = Math.min(MAX_BACKOFF, c.backoffMs * 2);
  event(
    k,
    rt,
    pod,
    c,
    'Warning',
    'BackOff',
    `Back-off restarting failed container ${c.name} in pod ${rt.name}_${rt.namespace}(${rt.uid})`,
  );
}

/** due readiness, script steps and restarts, in time order; then the pod phase */
export function stepContainers(k: Kubelet, rt: PodRuntime, pod: StoredObject, now: number): boolean {
  let changed = false;
  for (let guard = 0; guard < 100_000; guard++) {
    let c: ContainerRuntime | undefined;
    let at = Infinity;
    let what: 'ready' | 'step' | 'retry' = 'ready';
    for (const x of rt.containers) {
      for (const [t, w] of [
        [x.readyAt, 'ready'],
        [x.stepAt, 'step'],
        [x.retryAt, 'retry'],
      ] as const) {
        if (t !== undefined && t <= now && t < at) {
          c = x;
          at = t;
          what = w;
        }
      }
    }
    if (!c) break;
    if (what === 'ready') {
      delete c.readyAt;
      c.ready = c.state === 'running';
      changed = true;
    } else if (what === 'retry') {
      c.restartCount++;
      k.ctx.logs?.restart(rt.namespace, rt.name, c.name);
      event(k, rt, pod, c, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
      startContainer(k, rt, pod, c, at);
      changed = true;
    } else {
      const step = c.script?.[c.step];
      c.step++;
      const next = c.script?.[c.step];
      if (next) c.stepAt = at + next.after;
      else delete c.stepAt;
      if (step?.line !== undefined) k.ctx.logs?.append(rt.namespace, rt.name, c.name, step.line, at);
      if (step?.exit !== undefined) {
        terminate(k, rt, pod, c, step.exit, at);
        changed = true;
      }
    }
  }
  const done = rt.containers.every((c) => c.state === 'terminated');
  if (done && rt.containers.length > 0) {
    rt.phase = rt.containers.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
    rt.stage = 'done';
    changed = true;
  }
  return changed;
}

/** the pod is being deleted (it has finalizers): containers stop, and the pod reaches a terminal phase */
export function stopContainers(k: Kubelet, rt: PodRuntime, pod: StoredObject, now: number): boolean {
  for (const c of rt.containers) {
    if (c.state === 'running') {
      event(k, rt, pod, c, 'Normal', 'Killing', `Stopping container ${c.name}`);
      k.ctx.logs?.terminate(rt.namespace, rt.name, c.name);
    }
    if (c.state !== 'terminated') {
      c.state = 'terminated';
      c.exitCode = c.everStarted ? 0 : 137;
      c.reason = c.everStarted ? 'Completed' : 'ContainerStatusUnknown';
      c.finishedAt = now;
      c.startedAt ??= now;
    }
    c.ready = false;
    delete c.readyAt;
    delete c.stepAt;
    delete c.retryAt;
  }
  rt.phase = rt.containers.every((c) => c.exitCode === 0) ? 'Succeeded' : 'Failed';
  rt.stage = 'done';
  return true;
}
