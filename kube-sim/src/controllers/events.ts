import type { KubeApi } from '../api.ts';
import type { SimClock } from '../clock.ts';
import { StatusError } from '../status.ts';
import type { KubeObject, StoredObject } from '../types.ts';
import { ts } from './util.ts';

/**
 * core/v1 Events as client-go's legacy event recorder writes them: named `<object>.<hex time>`, in the object's
 * namespace (`default` for cluster-scoped objects), with involvedObject, reason, message, source, count and first
 * and last timestamps. A repeat of the same event (same source, object, type, reason and message) within ten
 * minutes bumps count and lastTimestamp instead of making a new object, as the recorder's aggregation does.
 * Events expire after `ttlMs` (kube-apiserver's --event-ttl, one hour by default).
 */

export interface EventSource {
  component: string;
  host?: string;
}

interface Recorded {
  namespace: string;
  name: string;
  at: number;
}

const AGGREGATE_MS = 10 * 60_000;

export class EventRecorder {
  private readonly recent = new Map<string, Recorded>();
  private readonly expiry: Recorded[] = [];
  private expiryHead = 0;
  private seq = 0;

  constructor(
    private readonly api: KubeApi,
    private readonly clock: SimClock,
    private readonly ttlMs = 3_600_000,
  ) {}

  record(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
    fieldPath?: string,
  ): void {
    const eventsType = this.api.registry.get('', 'v1', 'events');
    if (!eventsType) return;
    const now = this.clock.now();
    const namespace = involved.metadata.namespace || 'default';
    const uid = involved.metadata.uid ?? '';
    const key = [source.component, source.host ?? '', uid, fieldPath ?? '', type, reason, message].join(
      '\u0000',
    );
    const seen = this.recent.get(key);
    try {
      if (seen && now - seen.at < AGGREGATE_MS) {
        const current = this.api.store.get('events', seen.namespace, seen.name);
        if (current) {
          const next = {
            ...structuredClone(current),
            count: (typeof current['count'] === 'number' ? current['count'] : 1) + 1,
            lastTimestamp: ts(now),
          };
          this.api.replace({ type: eventsType, namespace, name: seen.name }, current, next, {
            trusted: true,
          });
          seen.at = now;
          return;
        }
      }
      const nanos = BigInt(Math.floor(now)) * 1_000_000n + BigInt(++this.seq % 1_000_000);
      const name = `${involved.metadata.name ?? 'unknown'}.${nanos.toString(16)}`;
      const ref: Record<string, unknown> = {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      };
      if (fieldPath) ref['fieldPath'] = fieldPath;
      const event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: ref,
        reason,
        message,
        source: source.host
          ? { component: source.component, host: source.host }
          : { component: source.component },
        firstTimestamp: ts(now),
        lastTimestamp: ts(now),
        count: 1,
        type,
        eventTime: null,
        reportingComponent: source.component,
        reportingInstance: source.host ?? '',
      };
      this.api.create({ type: eventsType, namespace }, event, { trusted: true });
      const rec = { namespace, name, at: now };
      this.recent.set(key, rec);
      this.expiry.push(rec);
    } catch (err) {
      // A terminating namespace refuses new content: the event is lost, as it would be.
      if (!(err instanceof StatusError)) throw err;
    }
  }

  /** delete events older than the TTL, and forget aggregation keys past their window */
  expire(): void {
    const now = this.clock.now();
    const eventsType = this.api.registry.get('', 'v1', 'events');
    while (this.expiryHead < this.expiry.length) {
      const rec = this.expiry[this.expiryHead];
      if (!rec || now - rec.at < this.ttlMs) break;
      this.expiryHead++;
      const current: StoredObject | undefined = this.api.store.get('events', rec.namespace, rec.name);
      const last = Date.parse(typeof current?.['lastTimestamp'] === 'string' ? current['lastTimestamp'] : '');
      if (current && eventsType && !(now - last < this.ttlMs)) {
        try {
          this.api.delete({ type: eventsType, namespace: rec.namespace, name: rec.name });
        } catch (err) {
          if (!(err instanceof StatusError)) throw err;
        }
      } else if (current) {
        this.expiry.push({ ...rec, at: last });
      }
    }
    if (this.expiryHead > 1024 && this.expiryHead * 2 > this.expiry.length) {
      this.expiry.splice(0, this.expiryHead);
      this.expiryHead = 0;
    }
    for (const [key, rec] of this.recent) if (now - rec.at >= AGGREGATE_MS) this.recent.delete(key);
  }
}
