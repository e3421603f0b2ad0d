import { setTimeout as delay } from "node:timers/promises";

/**
 * Polls until fn returns something other than undefined/false (its value is returned) or the deadline passes (the
 * last error, if any, is in the message). Tests wait on conditions with this, never on fixed sleeps.
 */
export async function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    }
    await delay(50);
  }
}
