/** The Status object the API server returns with every failure. */
export interface Status {
  kind?: "Status";
  apiVersion?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; group?: string; kind?: string; causes?: { reason?: string; message?: string; field?: string }[]; retryAfterSeconds?: number };
}

/**
 * A failed API call. Its message names the verb, the resource path and the server's reason; it never holds request
 * headers, bodies or kubeconfig material, so it is safe to log, record in an Event or put in a status condition.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly code: number;
  readonly reason: string;
  readonly status: Status;

  constructor(method: string, path: string, code: number, status: Status) {
    const reason = status.reason ?? (code === 0 ? "ConnectionFailed" : "Unknown");
    super(`${method} ${path}: ${code} ${reason}${status.message ? `: ${status.message}` : ""}`);
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
}

function reasonIs(err: unknown, reason: string, code: number): boolean {
  return err instanceof ApiError && (err.reason === reason || (err.status.reason === undefined && err.code === code));
}

export const isNotFound = (err: unknown): boolean => reasonIs(err, "NotFound", 404);
export const isAlreadyExists = (err: unknown): boolean => reasonIs(err, "AlreadyExists", 409) && !isConflict(err);
export const isConflict = (err: unknown): boolean => err instanceof ApiError && err.reason === "Conflict";
export const isGone = (err: unknown): boolean =>
  err instanceof ApiError && (err.code === 410 || err.reason === "Expired" || err.reason === "Gone");
export const isInvalid = (err: unknown): boolean => reasonIs(err, "Invalid", 422);
export const isForbidden = (err: unknown): boolean => reasonIs(err, "Forbidden", 403);
export const isUnauthorized = (err: unknown): boolean => reasonIs(err, "Unauthorized", 401);
export const isBadRequest = (err: unknown): boolean => reasonIs(err, "BadRequest", 400);
export const isTooManyRequests = (err: unknown): boolean => reasonIs(err, "TooManyRequests", 429);
export const isServerTimeout = (err: unknown): boolean => reasonIs(err, "ServerTimeout", 504) || reasonIs(err, "Timeout", 504);
/** No HTTP answer at all: refused, reset, timed out or DNS. Retrying later may work. */
export const isConnectionError = (err: unknown): boolean => err instanceof ApiError && err.code === 0;
/** A kind the API server does not serve (CRD not installed, or an unknown group/version). */
export class NoKindMatchError extends Error {
  override readonly name = "NoKindMatchError";
  readonly apiVersion: string;
  readonly kind: string;
  constructor(apiVersion: string, kind: string) {
    super(`no matches for kind "${kind}" in version "${apiVersion}"`);
    this.apiVersion = apiVersion;
    this.kind = kind;
  }
}
export const isNoMatch = (err: unknown): boolean => err instanceof NoKindMatchError;

/** Parses an error body into a Status; anything else becomes a Status with the HTTP status text. */
export function toStatus(code: number, body: string): Status {
  try {
    const parsed = JSON.parse(body) as Status;
    if (parsed && parsed.kind === "Status") return parsed;
  } catch {
    // fall through: not JSON
  }
  return { kind: "Status", status: "Failure", code, message: body.slice(0, 300) || undefined };
}
