/**
 * Logging: one pino root logger, and the logger of the reconcile running now (fromContext, with controller, namespace,
 * name and reconcileID on it), as Go's logr and log.FromContext. Errors are logged as { err }, through pino's serializer.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { type Logger, pino } from "pino";

export type { Logger } from "pino";

/**
 * `{ err }` as pino's standard serializer gives it (type, message, stack, cause), except an API server's answer
 * (ApiError, known by name so that log/ imports nothing above it): its message says all there is, method, path, code
 * and reason, and the operator logs such answers as expected conditions (a cluster that does not answer), one line each.
 */
export function serializeError(err: unknown): unknown {
  if (err instanceof Error && err.name === "ApiError") {
    const { code, reason } = err as Error & { code?: unknown; reason?: unknown };
    return { type: err.name, message: err.message, code, reason };
  }
  return pino.stdSerializers.err(err as Error);
}

let root: Logger = pino({
  name: "operator-ts",
  level: process.env.LOG_LEVEL ?? "info",
  serializers: { err: serializeError },
  // Values under these keys are replaced wherever they appear in a log line's fields.
  redact: {
    paths: ["token", "password", "kubeconfig", "*.token", "*.password", "*.kubeconfig", "data", "*.data", "stringData", "*.stringData"],
    censor: "[redacted]",
  },
});

/** Replaces the root logger (for example with a pretty or silent one); child loggers made later use it. */
export function setLogger(logger: Logger): void {
  root = logger;
}

export function getLogger(): Logger {
  return root;
}

/** A scope's logger, made on first use: most reconciles never log, and a pino child costs CPU and garbage. */
interface LazyLogger {
  make: () => Logger;
}

const scope = new AsyncLocalStorage<Logger | LazyLogger>();

/**
 * The logger of the reconcile (or other scoped work) running now, with controller, namespace, name and reconcileID
 * already on it; the root logger outside any scope. The counterpart of Go's log.FromContext(ctx).
 */
export function fromContext(): Logger {
  const current = scope.getStore();
  if (!current) return root;
  return "make" in current && typeof current.make === "function" ? current.make() : (current as Logger);
}

export function withLogger<R>(logger: Logger, fn: () => R): R {
  return scope.run(logger, fn);
}

/** Runs fn with a logger that make() builds the first time it is asked for; make must return the same one each time. */
export function withLazyLogger<R>(make: () => Logger, fn: () => R): R {
  return scope.run({ make }, fn);
}
