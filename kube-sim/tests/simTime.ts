import type { ManualClock } from '../src/clock.ts';

/** Driving a ManualClock from tests that also talk HTTP: move time in steps and let I/O run in between. */

/** let pending I/O callbacks (watch chunks, responses) run */
export const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

/** advance the clock by ms in steps, yielding to the event loop after each */
export async function advance(clock: ManualClock, ms: number, step = 250): Promise<void> {
  for (let left = ms; left > 0; left -= step) {
    clock.advance(Math.min(step, left));
    await settle();
  }
}

/** advance the clock step by step until `check` gives a value (fails after maxMs of clock time) */
export async function until<T>(
  clock: ManualClock,
  check: () => T | undefined | false,
  what: string,
  maxMs = 120_000,
  step = 250,
): Promise<T> {
  for (let spent = 0; ; spent += step) {
    const v = check();
    if (v !== undefined && v !== false) return v;
    if (spent > maxMs) throw new Error(`${what}: not within ${maxMs} ms of clock time`);
    clock.advance(step);
    await settle();
  }
}
