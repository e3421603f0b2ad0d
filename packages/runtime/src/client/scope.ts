import { AsyncLocalStorage } from "node:async_hooks";

/**
 * What the work running now imposes on the requests it makes, without every call passing it along: Go passes a
 * context to every client call; here the controller and the manager set this scope around a reconcile or a runnable,
 * and the transport reads it.
 */
export interface RequestScope {
  /**
   * Aborts the writes made in this scope that pass no signal of their own: the reconcile's signal, so that a write in
   * flight is abandoned when the manager stops or leadership is lost. Reads are left alone (an informer started from
   * inside a reconcile lives on after it).
   */
  signal?: AbortSignal;
  /**
   * Asked, synchronously, before every request of this scope and again just before a write's bytes go onto the
   * socket: an Error refuses the write. Leader-only work sets it to "this replica still leads by its monotonic
   * clock", so a replica that was paused past its lease writes nothing when it wakes, whatever runs first.
   */
  fence?: () => Error | undefined;
}

const storage = new AsyncLocalStorage<RequestScope>();

export function currentRequestScope(): RequestScope | undefined {
  return storage.getStore();
}

/** Runs fn (and everything it starts) in a scope; undefined runs it outside any. */
export function withRequestScope<R>(scope: RequestScope | undefined, fn: () => R): R {
  return scope ? storage.run(scope, fn) : storage.exit(fn);
}

/** The fence of the work running now refusing to write, if it does. */
export function fenceError(scope = storage.getStore()): Error | undefined {
  return scope?.fence?.();
}

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

export function isWriteMethod(method: string): boolean {
  return !READS.has(method.toUpperCase());
}
