import type { ServerResponse } from 'node:http';

import type { KubeApi, Target } from './api.ts';
import { isObject } from './objects.ts';
import type { LogLine, PodLogStore } from './podLogs.ts';
import { badRequest, invalid } from './status.ts';
import type { FieldError, StoredObject } from './types.ts';

/**
 * GET /api/v1/namespaces/<ns>/pods/<name>/log, answered from the cluster's PodLogStore the way kube-apiserver and
 * the kubelet answer it: container selection, tailLines, sinceSeconds/sinceTime, timestamps, limitBytes, previous,
 * and follow (chunked text/plain, one write per line).
 *
 * A follow ends when the container instance ends (terminate(), restart(), remove()), when the pod is deleted or
 * replaced by one with the same name, and when its phase becomes Succeeded or Failed. The last three are noticed
 * by re-reading the pod from the store every FOLLOW_CHECK_MS (one map lookup per open follow), which keeps log
 * streams out of the store's watcher set and its faults; the kubelet also calls remove() when it deletes a pod.
 */

const FOLLOW_CHECK_MS = 100;
/** a follower that falls this far behind is cut off, as a slow watcher is */
const MAX_BUFFERED = 16 * 1024 * 1024;

/** RFC 3339 with nanoseconds, as the kubelet writes timestamps: 2026-11-26T10:00:00.123456789Z */
export function rfc3339Nano(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.min(999_999_999, (whole % 1000) * 1_000_000 + Math.round((ms - whole) * 1_000_000));
  return `${new Date(whole).toISOString().slice(0, 19)}.${String(nanos).padStart(9, '0')}Z`;
}

interface LogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines: number | undefined;
  limitBytes: number | undefined;
  /** lines before this time (ms) are left out */
  since: number | undefined;
}

function parseBool(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  if (v === null || v === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)) return false;
  throw badRequest(`strconv.ParseBool: parsing "${v}": invalid syntax`);
}

function parseInt64(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null || v === '') return undefined;
  if (!/^[-+]?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

/** PodLogOptions from the query, validated as ValidatePodLogOptions does (422 Invalid) */
function logOptions(q: URLSearchParams, pod: string, now: number): LogOptions {
  const tailLines = parseInt64(q, 'tailLines');
  const limitBytes = parseInt64(q, 'limitBytes');
  const sinceSeconds = parseInt64(q, 'sinceSeconds');
  const sinceTimeText = q.get('sinceTime') || undefined;
  let sinceTime: number | undefined;
  if (sinceTimeText !== undefined) {
    sinceTime = Date.parse(sinceTimeText);
    if (
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTimeText) ||
      Number.isNaN(sinceTime)
    )
      throw badRequest(
        `parsing time "${sinceTimeText}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTimeText}" as "2006"`,
      );
  }
  const errors: FieldError[] = [];
  const bad = (field: string, value: number, why: string): void => {
    errors.push({ field, reason: 'FieldValueInvalid', message: `Invalid value: ${value}: ${why}` });
  };
  if (tailLines !== undefined && tailLines < 0)
    bad('tailLines', tailLines, 'must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) bad('limitBytes', limitBytes, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    errors.push({
      field: '[]',
      reason: 'FieldValueForbidden',
      message: 'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  } else if (sinceSeconds !== undefined && sinceSeconds < 1) {
    bad('sinceSeconds', sinceSeconds, 'must be greater than 0');
  }
  if (errors.length) throw invalid('PodLogOptions', '', pod, errors);
  return {
    container: q.get('container') ?? '',
    follow: parseBool(q, 'follow'),
    previous: parseBool(q, 'previous'),
    timestamps: parseBool(q, 'timestamps'),
    tailLines,
    limitBytes,
    since: sinceSeconds !== undefined ? now - sinceSeconds * 1000 : sinceTime,
  };
}

const names = (list: unknown): string[] =>
  (Array.isArray(list) ? list : []).map((c: unknown) => (isObject(c) ? String(c['name']) : ''));

/** validateContainer: the one container, or the one named; all kinds of container count (init, ephemeral) */
function pickContainer(pod: StoredObject, wanted: string): string {
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  const name = pod.metadata.name;
  if (wanted === '') {
    const containers = names(spec['containers']);
    if (containers.length === 1) return containers[0] ?? '';
    if (containers.length === 0) throw badRequest(`a container name must be specified for pod ${name}`);
    const all = [...names(spec['initContainers']), ...containers, ...names(spec['ephemeralContainers'])];
    throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${all.join(' ')}]`);
  }
  const all = [
    ...names(spec['initContainers']),
    ...names(spec['containers']),
    ...names(spec['ephemeralContainers']),
  ];
  if (!all.includes(wanted)) throw badRequest(`container ${wanted} is not valid for pod ${name}`);
  return wanted;
}

function containerStatus(pod: StoredObject, container: string): Record<string, unknown> | undefined {
  const status = isObject(pod['status']) ? pod['status'] : {};
  for (const key of ['containerStatuses', 'initContainerStatuses', 'ephemeralContainerStatuses']) {
    const list: unknown = status[key];
    const found = (Array.isArray(list) ? list : []).find(
      (s: unknown) => isObject(s) && s['name'] === container,
    );
    if (isObject(found)) return found;
  }
  return undefined;
}

const terminalPhase = (pod: StoredObject): boolean => {
  const phase = isObject(pod['status']) ? pod['status']['phase'] : undefined;
  return phase === 'Succeeded' || phase === 'Failed';
};

const sub = (o: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined => {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
};

/** which lines to serve and whether the container still runs, decided as the kubelet's validateContainerLogStatus */
function source(
  logs: PodLogStore,
  pod: StoredObject,
  container: string,
  previous: boolean,
): { lines: readonly LogLine[]; live: boolean } {
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name;
  const status = containerStatus(pod, container);
  const state = sub(status, 'state');
  const lastTerminated = sub(sub(status, 'lastState'), 'terminated') !== undefined;
  const earlier = logs.read(ns, name, container, true);
  if (previous) {
    if (earlier || lastTerminated) return { lines: earlier?.lines ?? [], live: false };
    throw badRequest(`previous terminated container "${container}" in pod "${name}" not found`);
  }
  const current = logs.read(ns, name, container);
  const waiting = sub(state, 'waiting');
  const phase = isObject(pod['status']) ? pod['status']['phase'] : undefined;
  const started =
    current !== undefined &&
    (current.lines.length > 0 || current.ended || sub(state, 'running') !== undefined);
  if (waiting && lastTerminated && !started) return { lines: earlier?.lines ?? [], live: false };
  if ((waiting && !started) || (!status && !current && phase !== 'Running' && !terminalPhase(pod))) {
    const reason = String(waiting?.['reason'] ?? 'ContainerCreating');
    const why =
      reason === 'ErrImagePull'
        ? "image can't be pulled"
        : reason === 'ImagePullBackOff'
          ? 'trying and failing to pull image'
          : reason;
    throw badRequest(`container "${container}" in pod "${name}" is waiting to start: ${why}`);
  }
  const ended = (current?.ended ?? false) || sub(state, 'terminated') !== undefined || terminalPhase(pod);
  return { lines: current?.lines ?? [], live: !ended };
}

/** GET /api/v1/namespaces/<ns>/pods/<name>/log */
export function servePodLog(
  api: KubeApi,
  logs: PodLogStore,
  t: Target,
  q: URLSearchParams,
  res: ServerResponse,
): void {
  const opts = logOptions(q, t.name ?? '', logs.now());
  const pod = api.get(t);
  const container = pickContainer(pod, opts.container);
  const spec = isObject(pod['spec']) ? pod['spec'] : {};
  if (typeof spec['nodeName'] !== 'string' || spec['nodeName'] === '') {
    // not scheduled: the apiserver has no kubelet to ask and answers with an empty log
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
    return;
  }
  const { lines, live } = source(logs, pod, container, opts.previous);
  let selected =
    opts.tailLines === undefined ? lines : opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
  const from = opts.since;
  if (from !== undefined) selected = selected.filter((l) => l.time >= from);
  const format = (l: LogLine): string => `${opts.timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}\n`;
  let budget = opts.limitBytes ?? Infinity;
  /** the text within limitBytes; budget 0 means the log is complete */
  const take = (text: string): string => {
    const bytes = Buffer.byteLength(text);
    if (bytes <= budget) {
      budget -= bytes;
      return text;
    }
    const cut = Buffer.from(text).subarray(0, budget).toString('utf8');
    budget = 0;
    return cut;
  };
  const body = take(selected.map(format).join(''));
  if (!opts.follow || !live || budget === 0) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(body);
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  if (body) res.write(body);
  const ns = pod.metadata.namespace ?? '';
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    clearInterval(check);
    if (!res.writableEnded) res.end();
  };
  const unsubscribe = logs.follow(ns, pod.metadata.name, container, {
    line: (l) => {
      if (closed || (from !== undefined && l.time < from)) return;
      res.write(take(format(l)));
      if (budget === 0) close();
      else if (res.writableLength > MAX_BUFFERED) res.socket?.destroy();
    },
    end: close,
  });
  const check = setInterval(() => {
    const now = api.store.get('pods', ns, pod.metadata.name);
    if (!now || now.metadata.uid !== pod.metadata.uid || terminalPhase(now)) close();
  }, FOLLOW_CHECK_MS);
  check.unref();
  res.on('close', close);
}
