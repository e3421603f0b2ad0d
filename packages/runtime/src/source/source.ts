import type { Request } from "../reconcile/index.ts";
import type { RateLimitingWorkQueue } from "../workqueue/index.ts";

/**
 * Where a controller's events come from. start() attaches the source to the queue and returns once it is attached
 * (it does not run until the signal aborts); aborting the signal detaches it (that is how a removed cluster's sources
 * leave a running controller).
 */
export interface Source<Req = Request> {
  start(signal: AbortSignal, queue: RateLimitingWorkQueue<Req>): Promise<void>;
  /** Resolves true once the source has delivered its initial state, false if the signal aborts first. */
  waitForSync(signal: AbortSignal): Promise<boolean>;
  /** Names the source in logs and errors. */
  toString(): string;
}

export interface FuncSourceOptions<Req> {
  /** Attaches to the queue; should stop adding to it when the signal aborts. */
  start: (signal: AbortSignal, queue: RateLimitingWorkQueue<Req>) => Promise<void> | void;
  /** Default: synced as soon as start() returned. */
  waitForSync?: (signal: AbortSignal) => Promise<boolean>;
  name?: string;
}

/** A Source from functions, for event streams that fit neither kind() nor channel(). */
export function funcSource<Req = Request>(opts: FuncSourceOptions<Req>): Source<Req> {
  let started: () => void = () => {};
  const startedP = new Promise<void>((resolve) => (started = resolve));
  return {
    async start(signal, queue) {
      await opts.start(signal, queue);
      started();
    },
    waitForSync: opts.waitForSync ?? ((signal) => untilOrAborted(startedP, signal)),
    toString: () => opts.name ?? "func source",
  };
}

/** Resolves true when p resolves, false if the signal aborts first. */
export function untilOrAborted(p: Promise<unknown>, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise<boolean>((resolve, reject) => {
    const onAbort = (): void => resolve(false);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve(true);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(err);
      },
    );
  });
}
