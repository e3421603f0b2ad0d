/**
 * Logging: one pino root logger, and the logger of the reconcile running now (fromContext, with controller, namespace,
 * name and reconcileID on it), as Go's logr and log.FromContext. Errors are logged as { err }, through pino's serializer.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Logger } from "pino";
import { newLogger } from "./logger.ts";

export type { Logger } from "pino";
export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LoggerOptions, type LogLevel, newLogger, serializeError } from "./logger.ts";
export { formatPretty, prettyDestination } from "./pretty.ts";

let root: Logger = newLogger();

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
