import { createHash } from 'node:crypto';

import type { StoredObject } from '../types.ts';
import type { ScriptStep } from './script.ts';
import { arr, type Condition, conditionsOf, obj, statusOf, str, ts } from './util.ts';

/** A simulated container runtime's view of one pod, and the pod status the kubelet derives from it. */

export interface ContainerRuntime {
  name: string;
  image: string;
  state: 'waiting' | 'running' | 'terminated';
  reason?: string;
  message?: string;
  exitCode?: number;
  startedAt?: number;
  finishedAt?: number;
  ready: boolean;
  restartCount: number;
  lastTerminated?: Record<string, unknown>;
  /** when the container becomes ready (running) */
  readyAt?: number;
  /** when it restarts (waiting in CrashLoopBackOff) or retries a pull (ImagePullBackOff) */
  retryAt?: number;
  backoffMs: number;
  script?: ScriptStep[];
  step: number;
  stepAt?: number;
  /** a log line is due (chatter) */
  everStarted: boolean;
}

export type Stage = 'new' | 'pulling' | 'running' | 'done';

export interface PodRuntime {
  uid: string;
  namespace: string;
  name: string;
  node: string;
  stage: Stage;
  /** when the next stage starts (new → pulling → running) */
  stageAt: number;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  restartPolicy: string;
  readyAfterMs: number;
  pullMs: number;
  pullFails: boolean;
  containers: ContainerRuntime[];
  initContainers: string[];
  startTime?: number;
  hostIP?: string;
  podIP?: string;
  rng: () => number;
  /** a seeded pod, already running when the kubelet found it: its status is left alone until something changes */
  adopted: boolean;
  /** containers whose image is being pulled */
  pulling: Set<string>;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export const containerId = (seed: string, pod: PodRuntime, c: ContainerRuntime): string =>
  `containerd://${sha256(`${seed}/${pod.uid}/${c.name}/${c.restartCount}`)}`;

export const imageId = (image: string): string => {
  const repo = image.split(':')[0] ?? image;
  const full = repo.includes('/')
    ? repo.split('/')[0]?.includes('.')
      ? repo
      : `docker.io/${repo}`
    : `docker.io/library/${repo}`;
  return `${full}@sha256:${sha256(image)}`;
};

function stateOf(seed: string, pod: PodRuntime, c: ContainerRuntime): Record<string, unknown> {
  if (c.state === 'running') return { running: { startedAt: ts(c.startedAt ?? 0) } };
  if (c.state === 'terminated') {
    return {
      terminated: {
        exitCode: c.exitCode ?? 0,
        reason: c.reason ?? ((c.exitCode ?? 0) === 0 ? 'Completed' : 'Error'),
        startedAt: ts(c.startedAt ?? 0),
        finishedAt: ts(c.finishedAt ?? 0),
        containerID: containerId(seed, pod, c),
      },
    };
  }
  const waiting: Record<string, unknown> = { reason: c.reason ?? 'ContainerCreating' };
  if (c.message) waiting['message'] = c.message;
  return { waiting };
}

function containerStatus(seed: string, pod: PodRuntime, c: ContainerRuntime): Record<string, unknown> {
  const s: Record<string, unknown> = {
    name: c.name,
    state: stateOf(seed, pod, c),
    lastState: c.lastTerminated ? { terminated: c.lastTerminated } : {},
    ready: c.ready,
    restartCount: c.restartCount,
    image: c.image,
    imageID: c.everStarted ? imageId(c.image) : '',
    started: c.state === 'running',
  };
  if (c.everStarted) s['containerID'] = containerId(seed, pod, c);
  return s;
}

/** a condition that keeps its lastTransitionTime while its status does not change */
function condition(
  previous: Condition[],
  type: string,
  status: Condition['status'],
  now: number,
  reason?: string,
  message?: string,
): Condition {
  const before = previous.find((c) => c.type === type);
  const c: Condition = {
    type,
    status,
    lastProbeTime: null,
    lastTransitionTime:
      before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : ts(now),
  };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/** the pod status this runtime state means, merged over what the pod carries */
export function podStatus(
  seed: string,
  rt: PodRuntime,
  pod: StoredObject,
  now: number,
): Record<string, unknown> {
  const previous = conditionsOf(statusOf(pod));
  const status: Record<string, unknown> = { ...statusOf(pod), phase: rt.phase };
  const started = rt.stage !== 'new';
  const unready = rt.containers.filter((c) => !c.ready).map((c) => c.name);
  const terminal = rt.phase === 'Succeeded' || rt.phase === 'Failed';
  const readyStatus = unready.length === 0 && !terminal ? 'True' : 'False';
  const reason =
    rt.phase === 'Succeeded' ? 'PodCompleted' : readyStatus === 'False' ? 'ContainersNotReady' : undefined;
  const message =
    reason === 'ContainersNotReady' ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const conditions: Condition[] = [];
  if (started) {
    conditions.push(condition(previous, 'PodReadyToStartContainers', terminal ? 'False' : 'True', now));
    conditions.push(
      condition(previous, 'Initialized', 'True', now, rt.phase === 'Succeeded' ? 'PodCompleted' : undefined),
    );
    conditions.push(condition(previous, 'Ready', readyStatus, now, reason, message));
    conditions.push(condition(previous, 'ContainersReady', readyStatus, now, reason, message));
  }
  conditions.push(condition(previous, 'PodScheduled', 'True', now));
  status['conditions'] = conditions;
  if (rt.hostIP) {
    status['hostIP'] = rt.hostIP;
    status['hostIPs'] = [{ ip: rt.hostIP }];
  }
  if (rt.podIP) {
    status['podIP'] = rt.podIP;
    status['podIPs'] = [{ ip: rt.podIP }];
  }
  if (rt.startTime !== undefined) status['startTime'] = ts(rt.startTime);
  if (started) {
    if (rt.initContainers.length) {
      status['initContainerStatuses'] = rt.initContainers.map((name) => ({
        name,
        state: {
          terminated: {
            exitCode: 0,
            reason: 'Completed',
            startedAt: ts(rt.startTime ?? now),
            finishedAt: ts(rt.startTime ?? now),
          },
        },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: str(
          obj(
            arr(obj(pod['spec'])['initContainers'])
              .map(obj)
              .find((c) => c['name'] === name),
          )['image'],
        ),
        imageID: '',
        started: false,
      }));
    }
    status['containerStatuses'] = rt.containers.map((c) => containerStatus(seed, rt, c));
  }
  return status;
}
