import { EventQueue } from '@fleetgraph/lib/async';
import { SUBSCRIPTION_OVERFLOW } from '@fleetgraph/lib/errors';
import type { ExecutionResult } from 'graphql';

/**
 * One upstream subscription, shared by every downstream subscriber with the same primary operation, variables
 * and authorization scope, and its fan-out.
 *
 * Subscribers with the same whole operation form a group: `rest` (the entity fetches to other subgraphs) runs once
 * per event per group, not per subscriber. Each group handles events one after another, so each subscriber sees
 * events in upstream order.
 *
 * A subscriber that joins after events have flowed must still see what a fresh subscription would show first.
 * When the root field returns an entity, the stream keeps the latest event per entity key and replays those to the
 * newcomer, then live events (no gap, no duplicate). Otherwise the stream stops taking newcomers after its first
 * event, and the next subscriber opens its own upstream.
 */

export type RunEvent = (event: ExecutionResult) => Promise<ExecutionResult>;

interface Group {
  run: RunEvent;
  /** every subscriber; `live` turns true once its replay has been delivered */
  subscribers: Map<EventQueue<ExecutionResult>, { live: boolean }>;
  chain: Promise<void>;
}

export interface StreamHooks {
  /** the entity identity of an event's root value, or undefined when it has none */
  identity(event: ExecutionResult): string | undefined;
  /** opens the upstream; returns its unsubscribe function */
  open(sink: { next(e: ExecutionResult): void; error(e: unknown): void; complete(): void }): () => void;
  /** the error to deliver when the upstream fails */
  failure(e: unknown): ExecutionResult;
  /** called once when the stream ends (last subscriber left, upstream ended or failed) */
  onEnd(): void;
}

export class SharedStream {
  private readonly groups = new Map<string, Group>();
  private readonly latest = new Map<string, ExecutionResult>();
  private events = 0;
  private replayable = true;
  private ended = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly hooks: StreamHooks,
    private readonly bufferSize: number,
  ) {}

  /** whether a newcomer can join this stream and still see a complete first state */
  joinable(): boolean {
    return !this.ended && (this.events === 0 || this.replayable);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.subscribers.size;
    return n;
  }

  /** adds a subscriber; the upstream opens with the first one */
  join(groupKey: string, run: RunEvent): EventQueue<ExecutionResult> {
    let group = this.groups.get(groupKey);
    if (!group) {
      group = { run, subscribers: new Map(), chain: Promise.resolve() };
      this.groups.set(groupKey, group);
    }
    const g = group;
    const queue: EventQueue<ExecutionResult> = new EventQueue<ExecutionResult>(
      this.bufferSize,
      () => this.leave(groupKey, queue),
      (n) => SUBSCRIPTION_OVERFLOW.err(`the subscriber fell more than ${n} events behind; subscribe again`),
    );
    const replay = [...this.latest.values()];
    const state = { live: replay.length === 0 && this.events === 0 };
    g.subscribers.set(queue, state);
    if (!state.live) {
      this.enqueue(g, async () => {
        for (const event of replay) queue.push(await g.run(event));
        state.live = true;
      });
    }
    if (!this.unsubscribe) {
      this.unsubscribe = this.hooks.open({
        next: (e) => this.onEvent(e),
        error: (e) => this.finish(this.hooks.failure(e)),
        complete: () => this.finish(undefined),
      });
    }
    return queue;
  }

  private onEvent(event: ExecutionResult): void {
    if (this.ended) return;
    this.events++;
    if (this.replayable) {
      const id = this.hooks.identity(event);
      if (id === undefined) {
        this.replayable = false;
        this.latest.clear();
      } else {
        this.latest.delete(id);
        this.latest.set(id, event);
      }
    }
    for (const g of this.groups.values()) {
      this.enqueue(g, async () => {
        const live = [...g.subscribers].filter(([, st]) => st.live).map(([q]) => q);
        if (live.length === 0) return;
        const result = await g.run(event);
        for (const q of live) q.push(result);
      });
    }
  }

  /** runs `task` after the group's earlier tasks; a failing task never breaks the chain */
  private enqueue(g: Group, task: () => Promise<void>): void {
    g.chain = g.chain.then(task).catch(() => undefined);
  }

  /** upstream ended: deliver what is queued, then the final error if any, then complete every subscriber */
  private finish(final: ExecutionResult | undefined): void {
    if (this.ended) return;
    this.ended = true;
    this.unsubscribe = undefined;
    this.hooks.onEnd();
    for (const g of this.groups.values()) {
      this.enqueue(g, () => {
        for (const q of g.subscribers.keys()) {
          if (final) q.push(final);
          q.end();
        }
        return Promise.resolve();
      });
    }
  }

  private leave(groupKey: string, queue: EventQueue<ExecutionResult>): void {
    const g = this.groups.get(groupKey);
    if (!g) return;
    g.subscribers.delete(queue);
    if (g.subscribers.size > 0) return;
    this.groups.delete(groupKey);
    if (this.groups.size > 0 || this.ended) return;
    // the last subscriber left: close the upstream at once
    this.ended = true;
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    this.hooks.onEnd();
    unsubscribe?.();
  }
}
