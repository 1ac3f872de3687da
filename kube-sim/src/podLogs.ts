/**
 * Pod logs: a PodLogStore per cluster keeps the lines of each container instance, the current one and the
 * previous one (podLogsHttp.ts serves them as GET .../pods/<name>/log). The simulated kubelet, the controllers,
 * or a test write them: append() a line, restart() or terminate() the container, remove() the pod.
 * Followers of a container instance are ended when it ends (terminate, restart) or the pod is removed.
 */

export interface LogLine {
  /** when the line was written, ms since the epoch */
  time: number;
  text: string;
}

export interface LogFollower {
  line(line: LogLine): void;
  end(): void;
}

export interface PodLogStoreOptions {
  /** the cluster clock; @default Date.now */
  now?: (() => number) | undefined;
  /** lines kept per container instance; @default 10_000 */
  maxLines?: number | undefined;
  /**
   * the uid of the pod stored under a namespace and name: lines of a deleted pod are forgotten once a pod of the
   * same name comes (or, with no follower left, on a later sweep)
   */
  podUid?: ((namespace: string, pod: string) => string | undefined) | undefined;
}

interface Instance {
  lines: LogLine[];
  ended: boolean;
}

interface ContainerLog {
  current: Instance | undefined;
  previous: Instance | undefined;
  /** followers of the current instance */
  followers: Set<LogFollower>;
}

interface PodLog {
  uid: string | undefined;
  containers: Map<string, ContainerLog>;
}

const SWEEP_EVERY = 256;

export class PodLogStore {
  readonly now: () => number;
  private readonly maxLines: number;
  private readonly podUid: ((namespace: string, pod: string) => string | undefined) | undefined;
  private readonly pods = new Map<string, PodLog>();
  private created = 0;

  constructor(options: PodLogStoreOptions = {}) {
    this.now = options.now ?? Date.now;
    this.maxLines = options.maxLines ?? 10_000;
    this.podUid = options.podUid;
  }

  /** one line (no trailing newline) of the current container instance; `time` defaults to now (ms) */
  append(namespace: string, pod: string, container: string, line: string, time = this.now()): void {
    const c = this.container(namespace, pod, container);
    const instance = (c.current ??= { lines: [], ended: false });
    for (const text of line.replace(/\r?\n$/, '').split('\n')) {
      const l: LogLine = { time, text };
      instance.lines.push(l);
      for (const f of c.followers) f.line(l);
    }
    // trim in batches: a busy container does not move 10,000 lines on every append
    if (instance.lines.length > this.maxLines * 1.25)
      instance.lines.splice(0, instance.lines.length - this.maxLines);
  }

  /** the container restarted: the current instance becomes `previous` and a new, empty one starts */
  restart(namespace: string, pod: string, container: string): void {
    const c = this.container(namespace, pod, container);
    c.previous = c.current ?? { lines: [], ended: true };
    c.previous.ended = true;
    c.current = { lines: [], ended: false };
    endFollowers(c);
  }

  /** the current container instance ended (its followers are ended; lines appended later are still kept) */
  terminate(namespace: string, pod: string, container: string): void {
    const c = this.container(namespace, pod, container);
    (c.current ??= { lines: [], ended: true }).ended = true;
    endFollowers(c);
  }

  /** the pod is gone: followers are ended and its lines dropped */
  remove(namespace: string, pod: string): void {
    const key = `${namespace}/${pod}`;
    const p = this.pods.get(key);
    if (p) this.drop(key, p);
  }

  /** the lines of the current or previous instance, undefined when that instance never existed */
  read(
    namespace: string,
    pod: string,
    container: string,
    previous = false,
  ): { lines: readonly LogLine[]; ended: boolean } | undefined {
    const c = this.pod(namespace, pod, false)?.containers.get(container);
    const instance = previous ? c?.previous : c?.current;
    if (!instance) return undefined;
    const { lines } = instance;
    return {
      lines: lines.length > this.maxLines ? lines.slice(-this.maxLines) : lines,
      ended: instance.ended,
    };
  }

  /** follow the current instance (also one not started yet); returns the unsubscribe function */
  follow(namespace: string, pod: string, container: string, follower: LogFollower): () => void {
    const c = this.container(namespace, pod, container);
    c.followers.add(follower);
    return () => c.followers.delete(follower);
  }

  private container(namespace: string, pod: string, container: string): ContainerLog {
    const p = this.pod(namespace, pod, true) as PodLog;
    let c = p.containers.get(container);
    if (!c) {
      c = { current: undefined, previous: undefined, followers: new Set() };
      p.containers.set(container, c);
    }
    return c;
  }

  private pod(namespace: string, name: string, create: boolean): PodLog | undefined {
    const key = `${namespace}/${name}`;
    let p = this.pods.get(key);
    const uid = this.podUid?.(namespace, name);
    if (p && p.uid !== undefined && uid !== undefined && p.uid !== uid) {
      // a new pod with the same name: the old one's logs went with it
      this.drop(key, p);
      p = undefined;
    }
    if (p && p.uid === undefined) p.uid = uid;
    if (!p && create) {
      p = { uid, containers: new Map() };
      this.pods.set(key, p);
      if (++this.created % SWEEP_EVERY === 0) this.sweep();
    }
    return p;
  }

  /** forget pods that are gone and nobody follows */
  private sweep(): void {
    if (!this.podUid) return;
    for (const [key, p] of this.pods) {
      if (p.uid === undefined || [...p.containers.values()].some((c) => c.followers.size > 0)) continue;
      const slash = key.indexOf('/');
      if (this.podUid(key.slice(0, slash), key.slice(slash + 1)) !== p.uid) this.pods.delete(key);
    }
  }

  private drop(key: string, p: PodLog): void {
    this.pods.delete(key);
    for (const c of p.containers.values()) endFollowers(c);
  }
}

function endFollowers(c: ContainerLog): void {
  const followers = [...c.followers];
  c.followers.clear();
  for (const f of followers) f.end();
}
