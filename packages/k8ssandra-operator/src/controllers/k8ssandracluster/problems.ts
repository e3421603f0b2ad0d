import { ApiError, isForbidden, isInvalid, isNoMatch, isNotFound, TerminalError } from "@operator-ts/runtime";

/** Something only a person can fix (the spec, RBAC, a name taken by another object): shown as a condition and an Event. */
export interface Problem {
  /** CamelCase, for the condition's reason and the Event's. */
  reason: string;
  message: string;
}

/** A CassandraDatacenter of this name already exists in that namespace and cluster, and is not this cluster's. */
export class DatacenterConflictError extends TerminalError {}

/**
 * The problem an error stands for, when retrying cannot fix it by itself; undefined for errors that may pass
 * (connection failures, conflicts with a stale cache, throttling, server errors), which are retried with backoff.
 * `what` says what was being done, for the message; ApiError messages carry no credentials, so they may be shown.
 */
export function problemOf(err: unknown, what: string): Problem | undefined {
  if (err instanceof DatacenterConflictError) return { reason: "DatacenterNameConflict", message: err.message };
  if (err instanceof TerminalError) return { reason: "ReconcileFailed", message: `${what}: ${err.message}` };
  if (isNoMatch(err)) return { reason: "KindNotInstalled", message: `${what}: ${(err as Error).message}` };
  if (!(err instanceof ApiError)) return undefined;
  // Creating in a namespace that does not exist; any other NotFound is a cache that has not caught up yet.
  if (isNotFound(err) && err.status.details?.kind === "namespaces") return { reason: "NamespaceNotFound", message: `${what}: ${err.message}` };
  if (isInvalid(err)) return { reason: "Invalid", message: `${what}: ${err.message}` };
  if (isForbidden(err)) return { reason: "Forbidden", message: `${what}: ${err.message}` };
  // 401 survives the transport's credential reload, so the credential itself is wrong.
  if ([400, 401, 405, 413, 415].includes(err.code)) return { reason: err.reason, message: `${what}: ${err.message}` };
  return undefined;
}
