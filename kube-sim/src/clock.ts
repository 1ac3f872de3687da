/**
 * The time kube-sim's controllers live in. Every delay a controller waits (a pod becoming ready, a heartbeat, a
 * job step) is a timer on a SimClock, and every timestamp it writes comes from `now()`, so one clock decides how
 * fast the simulated world moves: real time, real time sped up, or a manual clock a test advances by hand.
 */

export type TimerId = number;

export interface SimClock {
  /** the current time, ms since the epoch */
  now(): number;
  /** call fn once, after ms of clock time */
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId | undefined): void;
  /** call fn every ms of clock time */
  setInterval(fn: () => void, ms: number): TimerId;
  clearInterval(id: TimerId | undefined): void;
}

export interface RealClockOptions {
  /** clock ms per real ms: 20 makes a 10 s delay fire after 0.5 s and now() advance 20 times as fast; @default 1 */
  speed?: number;
  /** what now() says at construction; @default Date.now() */
  start?: number;
}

/** Real time, optionally sped up. Its timers never keep the process alive on their own. */
export class RealClock implements SimClock {
  readonly speed: number;
  private readonly start: number;
  private readonly realStart = Date.now();
  private seq = 0;
  private readonly timers = new Map<TimerId, NodeJS.Timeout>();

  constructor(options: RealClockOptions = {}) {
    const speed = options.speed ?? 1;
    if (!(speed > 0) || !Number.isFinite(speed))
      throw new Error(`kube-sim: clock speed must be > 0, got ${speed}`);
    this.speed = speed;
    this.start = options.start ?? this.realStart;
  }

  now(): number {
    return this.start + (Date.now() - this.realStart) * this.speed;
  }

  private realMs(ms: number): number {
    return Math.max(0, ms) / this.speed;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    const id = ++this.seq;
    const t = setTimeout(() => {
      this.timers.delete(id);
      fn();
    }, this.realMs(ms));
    t.unref();
    this.timers.set(id, t);
    return id;
  }

  clearTimeout(id: TimerId | undefined): void {
    if (id === undefined) return;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
  }

  setInterval(fn: () => void, ms: number): TimerId {
    const id = ++this.seq;
    const t = setInterval(fn, Math.max(1, this.realMs(ms)));
    t.unref();
    this.timers.set(id, t);
    return id;
  }

  clearInterval(id: TimerId | undefined): void {
    this.clearTimeout(id);
  }

  /** timers still pending */
  pending(): number {
    return this.timers.size;
  }
}

interface ManualTimer {
  id: TimerId;
  due: number;
  seq: number;
  fn: () => void;
  every: number | undefined;
}

/**
 * A clock that only moves when told to: `advance(ms)` runs every timer that falls due, in due-time order (timers
 * due at the same moment in the order they were set), with now() set to each timer's due time as it runs.
 * Timers set while advancing run too if they fall due before the target. Deterministic, for unit tests.
 */
export class ManualClock implements SimClock {
  private time: number;
  private seq = 0;
  private readonly heap: ManualTimer[] = [];
  private readonly live = new Map<TimerId, ManualTimer>();

  /** @param start what now() says at first; @default 2026-01-01T00:00:00Z */
  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerId {
    return this.add(fn, Math.max(0, ms), undefined);
  }

  setInterval(fn: () => void, ms: number): TimerId {
    const every = Math.max(1, ms);
    return this.add(fn, every, every);
  }

  clearTimeout(id: TimerId | undefined): void {
    if (id !== undefined) this.live.delete(id);
  }

  clearInterval(id: TimerId | undefined): void {
    this.clearTimeout(id);
  }

  /** timers still pending */
  pending(): number {
    return this.live.size;
  }

  /** when the next timer falls due, if any */
  nextDue(): number | undefined {
    this.dropCancelled();
    return this.heap[0]?.due;
  }

  /** move time forward by ms, running every timer that falls due on the way; returns how many ran */
  advance(ms: number): number {
    if (!(ms >= 0)) throw new Error(`kube-sim: ManualClock.advance needs ms >= 0, got ${ms}`);
    const target = this.time + ms;
    let ran = 0;
    for (;;) {
      this.dropCancelled();
      const t = this.heap[0];
      if (!t || t.due > target) break;
      this.pop();
      this.time = Math.max(this.time, t.due);
      if (t.every !== undefined) {
        t.due += t.every;
        t.seq = ++this.seq;
        this.push(t);
      } else {
        this.live.delete(t.id);
      }
      t.fn();
      if (++ran > 10_000_000)
        throw new Error('kube-sim: ManualClock.advance ran 10,000,000 timers; a timer loop?');
    }
    this.time = target;
    return ran;
  }

  /** advance to the next timer's due time and run everything due then; returns how many ran */
  runNext(): number {
    const due = this.nextDue();
    return due === undefined ? 0 : this.advance(due - this.time);
  }

  private add(fn: () => void, delay: number, every: number | undefined): TimerId {
    const id = ++this.seq;
    const t: ManualTimer = { id, due: this.time + delay, seq: id, fn, every };
    this.live.set(id, t);
    this.push(t);
    return id;
  }

  private dropCancelled(): void {
    while (this.heap.length > 0) {
      const top = this.heap[0];
      if (top && this.live.get(top.id) === top) return;
      this.pop();
    }
  }

  private less(a: ManualTimer, b: ManualTimer): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  private push(t: ManualTimer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent];
      if (!p || !this.less(t, p)) break;
      h[i] = p;
      h[parent] = t;
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop();
    if (!last || h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      const lt = h[l];
      const rt = h[r];
      const mt = (): ManualTimer => h[m] as ManualTimer;
      if (lt && this.less(lt, mt())) m = l;
      if (rt && this.less(rt, mt())) m = r;
      if (m === i) return;
      const tmp = h[i] as ManualTimer;
      h[i] = mt();
      h[m] = tmp;
      i = m;
    }
  }
}
