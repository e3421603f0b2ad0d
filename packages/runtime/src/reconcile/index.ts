/**
 * What a reconciler sees and returns: a Request (namespace and name), a Result (requeue, requeueAfter), and
 * TerminalError for what retrying cannot fix. The contract between controllers and the code users write.
 */
import type { ObjectKey } from "../api/object.ts";

/** What a controller reconciles: the namespace and name of one object. */
export type Request = ObjectKey;

export interface Result {
  /** Reconcile again after this many milliseconds (not counted as a failure; no backoff). */
  requeueAfter?: number;
  /** Reconcile again with the rate limiter's backoff, as after a failure, without logging an error. */
  requeue?: boolean;
}

/** The reconcile function: makes the world match the desired state of one object, and is safe to run again. */
export interface Reconciler<Req = Request> {
  reconcile(request: Req, signal: AbortSignal): Promise<Result | void>;
}

export type ReconcileFunc<Req = Request> = (request: Req, signal: AbortSignal) => Promise<Result | void>;

export function reconcilerFrom<Req>(r: Reconciler<Req> | ReconcileFunc<Req>): Reconciler<Req> {
  return typeof r === "function" ? { reconcile: r } : r;
}

/** An error that retrying cannot fix (an invalid spec, say): logged and counted, but the request is not requeued. */
export class TerminalError extends Error {
  override readonly name = "TerminalError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** "namespace/name": the work-queue key of a Request. */
export function requestKey(req: Request): string {
  return req.namespace ? `${req.namespace}/${req.name}` : req.name;
}
