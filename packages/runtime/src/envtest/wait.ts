import { setTimeout as delay } from "node:timers/promises";
import { isNotFound } from "../client/errors.ts";

export interface WaitOptions {
  /** What is awaited, for the timeout's message ("the Deployment", "status Ready"). */
  what?: string;
  /** Give up after this long; default 30 s. */
  timeoutMs?: number;
  /** Time between attempts; default 50 ms. */
  intervalMs?: number;
  /** Stops the wait early; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

function waitOptions(what: string | WaitOptions | undefined, timeoutMs: number | undefined): WaitOptions {
  return typeof what === "object" ? what : { what, timeoutMs };
}

async function poll<T>(attempt: () => Promise<{ done: true; value: T } | { done: false }>, options: WaitOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const outcome = await attempt();
      if (outcome.done) return outcome.value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const what = options.what ? ` waiting for ${options.what}` : "";
      const why = last === undefined ? "" : `: ${last instanceof Error ? last.message : String(last)}`;
      throw new Error(`timed out after ${timeoutMs} ms${what}${why}`, last === undefined ? undefined : { cause: last });
    }
    // An abort ends the wait with the signal's own reason, not timers' generic AbortError.
    await delay(options.intervalMs ?? 50, undefined, options.signal ? { signal: options.signal } : undefined).catch((err: unknown) => {
      options.signal?.throwIfAborted();
      throw err;
    });
  }
}

/**
 * Polls fn until it returns something other than undefined or false, and returns that value: an object read from
 * the API server, or true from a comparison. A throw counts as "not yet" (a NotFound before the controller created
 * the object); on timeout the last error is in the message. Tests wait on conditions with this, never on sleeps.
 *
 *   const deployment = await eventually(() => client.get(Deployment, key), "the Deployment");
 *   await eventually(async () => (await client.get(Deployment, key)).spec?.replicas === 3, { what: "3 replicas", timeoutMs: 60_000 });
 */
export function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what?: string, timeoutMs?: number): Promise<T>;
export function eventually<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, options?: WaitOptions): Promise<T>;
export function eventually<T>(
  fn: () => T | undefined | false | Promise<T | undefined | false>,
  what?: string | WaitOptions,
  timeoutMs?: number,
): Promise<T> {
  return poll<T>(async () => {
    const value = await fn();
    return value === undefined || value === false ? { done: false } : { done: true, value: value as T };
  }, waitOptions(what, timeoutMs));
}

/**
 * Polls fn until it returns without throwing, and returns what it returned: for assertions that hold only after a
 * while (`await waitFor(() => expect(cm.data).toEqual({...}))`, `assert.equal(...)` under node:test).
 */
export function waitFor<T>(fn: () => T | Promise<T>, what?: string, timeoutMs?: number): Promise<T>;
export function waitFor<T>(fn: () => T | Promise<T>, options?: WaitOptions): Promise<T>;
export function waitFor<T>(fn: () => T | Promise<T>, what?: string | WaitOptions, timeoutMs?: number): Promise<T> {
  return poll<T>(async () => ({ done: true, value: await fn() }), waitOptions(what, timeoutMs));
}

/**
 * Whether a read found nothing: true on NotFound, false when the object is there; any other error is thrown. With
 * eventually: `await eventually(() => gone(client.get(ConfigMap, key)), "the copy deleted")`.
 */
export async function gone(read: Promise<unknown>): Promise<boolean> {
  try {
    await read;
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}
