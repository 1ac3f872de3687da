/**
 * Polls `check` until it returns a value other than `undefined` or `false`, and resolves with that value. A check
 * that throws counts as "not yet"; its last error is quoted if time runs out. A check that never settles is given
 * up on at the deadline too.
 *
 * @param check what to poll; may be async
 * @param what what is awaited, for the timeout message (`timed out waiting for <what>`)
 * @param timeoutMs how long to poll @default 10_000
 * @param intervalMs the pause between polls @default 20
 */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await beforeDeadline(check, deadline);
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e !== TIMED_OUT) last = e;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `timed out waiting for ${what} after ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))));
  }
}

const TIMED_OUT = Symbol('timed out');

/** the check's result, or a TIMED_OUT rejection once the deadline passes first */
async function beforeDeadline<V>(check: () => V | Promise<V>, deadline: number): Promise<V> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(TIMED_OUT), Math.max(0, deadline - Date.now()));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
