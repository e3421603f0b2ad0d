import type { AddressInfo } from "node:net";

/**
 * Anything the Manager starts: start() runs until the signal aborts (then returns) or fails (then rejects, which
 * stops the manager with that error). A runnable that only sets something up may return early.
 */
export interface Runnable {
  start(signal: AbortSignal): Promise<void>;
}

/** Runnables that say whether they must wait for leadership; those that do not run on every replica. */
export interface LeaderElectionRunnable {
  needLeaderElection(): boolean;
}

export function needsLeaderElection(r: Runnable): boolean {
  const le = r as Partial<LeaderElectionRunnable>;
  return typeof le.needLeaderElection === "function" ? le.needLeaderElection() : true;
}

export function runnableFunc(fn: (signal: AbortSignal) => Promise<void>): Runnable {
  return { start: fn };
}

/**
 * Runnables that serve requests (metrics, probes, webhooks): the Manager starts them before anything else, waits
 * until address() resolves (they listen), and stops them last.
 */
export interface ServerRunnable extends Runnable {
  readonly isServerRunnable: true;
  address(): Promise<AddressInfo>;
}

export function isServerRunnable(r: Runnable): r is ServerRunnable {
  return (r as Partial<ServerRunnable>).isServerRunnable === true && typeof (r as Partial<ServerRunnable>).address === "function";
}
