import { EventQueue } from '@fleetgraph/lib/async';
import type { Authorizer, UserInfo } from '@fleetgraph/lib/auth';
import { FORBIDDEN, SUBSCRIPTION_OVERFLOW } from '@fleetgraph/lib/errors';
import type { ClusterRegistry } from '@fleetgraph/lib/kube';
import type { Logger } from '@fleetgraph/lib/telemetry';

import { UPGRADE_NOT_FOUND } from '../errors.ts';
import { mayFollowUpgrades } from './visibility.ts';
import { type TimedLine, type UpgradeSource, upgradeLog, upgradeSettled } from './kube.ts';
import { isFinished, type ClusterUpgradeEventModel, type ClusterUpgradeModel } from './model.ts';

/**
 * clusterUpgradeProgress: the upgrade's current state, its whole log from the first line, live lines and phase
 * changes, then COMPLETED. The log is followed with timestamps; after the stream drops it is requested again from
 * the second of the last line sent (`sinceTime`), and lines already sent (earlier, or of that same timestamp and
 * already counted) are skipped, so nothing is lost, duplicated or reordered.
 */

/** a log line's timestamp in a form that sorts as time does (fraction padded to nanoseconds) */
export function timeKey(time: string): string {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  return m ? `${m[1]}.${(m[2] ?? '').padEnd(9, '0')}Z` : time;
}

/** the whole second of an RFC 3339 time, as sinceTime (the API server ignores fractions) */
const wholeSecond = (time: string): string => `${time.slice(0, 19)}Z`;

/**
 * Remembers which lines were sent: the last timestamp, and how many lines with exactly that timestamp. A line is
 * new when it is later, or has that timestamp and more lines of it arrived this time than were sent before.
 */
export class LineDedup {
  private last: string | undefined;
  private sentAtLast = 0;
  private seenAtLast = 0;

  /** call before each stream (re)connect */
  reconnect(): void {
    this.seenAtLast = 0;
  }

  /** the sinceTime for a reconnect, or undefined before any line */
  since(): string | undefined {
    return this.last === undefined ? undefined : wholeSecond(this.last);
  }

  /** whether the line is new; records it when so */
  accept(line: TimedLine): boolean {
    const key = timeKey(line.time);
    if (this.last === undefined || key > this.last) {
      this.last = key;
      this.sentAtLast = 1;
      this.seenAtLast = 1;
      return true;
    }
    if (key < this.last) return false;
    this.seenAtLast++;
    if (this.seenAtLast <= this.sentAtLast) return false;
    this.sentAtLast++;
    return true;
  }
}

const BUFFER = 10_000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2_000;
/** after the job finished, how long COMPLETED waits for the controller to set KSCoreReady */
const SETTLE_MS = 10_000;

type Item = { event: UpgradeProgressEvent } | { error: Error };

/** what upgradeProgress yields: an event, or the end of the subscriber's access (upgradeEvent makes it FORBIDDEN) */
export type UpgradeProgressEvent = ClusterUpgradeEventModel | { revoked: string };

/** the `resolve` of clusterUpgradeProgress: the event, or FORBIDDEN once the subscriber's access was revoked */
export function upgradeEvent(event: UpgradeProgressEvent): ClusterUpgradeEventModel {
  if ('revoked' in event) throw FORBIDDEN.err(event.revoked);
  return event;
}

export interface ProgressDeps {
  upgrades: UpgradeSource;
  registry: ClusterRegistry;
  log: Logger;
}

export function upgradeProgress(
  deps: ProgressDeps,
  id: string,
  access: { user: UserInfo; authorizer: Authorizer },
): AsyncIterableIterator<UpgradeProgressEvent> {
  const first = deps.upgrades.get(id);
  if (
    !first ||
    !access.authorizer.canSeeCluster(access.user, first.cluster) ||
    !mayFollowUpgrades(access, deps.registry)
  ) {
    throw UPGRADE_NOT_FOUND.err(`no cluster upgrade "${id}"`, { extensions: { upgradeId: id } });
  }
  const stopper = new AbortController();
  const wakers = new Set<() => void>();
  const unsubscribe = deps.upgrades.subscribe((changed) => {
    if (changed !== id) return;
    onChange();
    for (const w of wakers) w();
  });
  // authorized again whenever roles or bindings change: a subscriber who loses access gets nothing more
  let revoked = false;
  const unsubscribeAccess = access.authorizer.subscribe(() => {
    if (revoked) return;
    if (
      access.authorizer.canSeeCluster(access.user, first.cluster) &&
      mayFollowUpgrades(access, deps.registry)
    )
      return;
    revoked = true;
    queue.push({ event: { revoked: `${access.user.name} may no longer follow cluster upgrades` } });
    queue.end();
  });
  const queue = new EventQueue<Item>(
    BUFFER,
    () => {
      stopper.abort();
      unsubscribe();
      unsubscribeAccess();
      for (const w of wakers) w();
    },
    (n) => SUBSCRIPTION_OVERFLOW.err(`the subscriber fell more than ${n} events behind; subscribe again`),
  );

  let last: ClusterUpgradeModel = first;
  let phaseSent = first.phase;
  const emit = (event: ClusterUpgradeEventModel): void => {
    if (!revoked) queue.push({ event });
  };
  /** non-final phase changes go out as they happen; the final one only with COMPLETED, after the last line */
  const onChange = (): void => {
    const u = deps.upgrades.get(id);
    if (!u) return;
    last = u;
    if (u.phase !== phaseSent && !isFinished(u)) {
      phaseSent = u.phase;
      emit({ upgrade: u, kind: 'PHASE', line: null });
    }
  };
  /** until the upgrade changes, `ms` pass, or the subscriber leaves */
  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopper.signal.aborted) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
    });

  const run = async (): Promise<void> => {
    const dedup = new LineDedup();
    let seq = 0;
    let retryMs = RETRY_MIN_MS;
    // the log, until a stream ends cleanly once the job has finished (its container is done writing)
    for (;;) {
      if (stopper.signal.aborted) return;
      const u = deps.upgrades.get(id);
      if (!u) break; // the Job was deleted
      last = u;
      if (u.podName === null) {
        if (isFinished(u)) break;
        await wait(1_000);
        continue;
      }
      let clean = false;
      dedup.reconnect();
      const since = dedup.since();
      try {
        for await (const line of upgradeLog(deps.registry, u.podName, {
          signal: stopper.signal,
          ...(since !== undefined ? { sinceTime: since } : {}),
        })) {
          if (!dedup.accept(line)) continue;
          onChange();
          emit({ upgrade: last, kind: 'LOG', line: { seq: ++seq, time: line.time, text: line.text } });
          retryMs = RETRY_MIN_MS;
        }
        clean = true;
      } catch (err) {
        if (stopper.signal.aborted) return;
        deps.log.debug('upgrade log stream failed, reconnecting', { upgrade: id, error: err, retryMs });
      }
      if (stopper.signal.aborted) return;
      const now = deps.upgrades.get(id);
      if (clean && (!now || isFinished(now))) break;
      await wait(clean ? 200 : retryMs);
      if (!clean) retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
    }
    // the outcome, once the controller has recorded it on the Cluster (bounded)
    const deadline = Date.now() + SETTLE_MS;
    for (;;) {
      if (stopper.signal.aborted) return;
      const u = deps.upgrades.get(id);
      if (!u) break;
      last = u;
      if (
        isFinished(u) &&
        (upgradeSettled(deps.registry.get(u.cluster)?.object, u.id) || Date.now() >= deadline)
      )
        break;
      await wait(200);
    }
    emit({ upgrade: last, kind: 'COMPLETED', line: null });
    queue.end();
  };

  emit({ upgrade: first, kind: 'PHASE', line: null });
  run().catch((err: unknown) => {
    deps.log.warn('upgrade progress failed', { upgrade: id, error: err });
    queue.push({ error: err instanceof Error ? err : new Error(String(err)) });
    queue.end();
  });

  const iterator: AsyncIterableIterator<UpgradeProgressEvent> = {
    async next() {
      const r = await queue.next();
      if (r.done) return { value: undefined, done: true };
      if ('error' in r.value) {
        await queue.return();
        throw r.value.error;
      }
      return { value: r.value.event, done: false };
    },
    async return() {
      await queue.return();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
