import { hostname } from "node:os";
import { type Level, type Logger, pino } from "pino";
import { LOGGER_NAME, prettyDestination } from "./pretty.ts";

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  /** Default $LOG_LEVEL, else info. */
  level?: LogLevel | Level;
  /** json (one object a line, for log collectors) or pretty (for a person at a terminal); default $LOG_FORMAT, else json. */
  format?: LogFormat;
}

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

function checked<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${what} is "${value}"; it must be one of ${allowed.join(", ")}`);
  return value as T;
}

/** The runtime's logger as setLogger() takes it: pino, with secrets redacted wherever they appear in a line's fields. */
export function newLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? checked("LOG_LEVEL", process.env.LOG_LEVEL || "info", LOG_LEVELS);
  const format = options.format ?? checked("LOG_FORMAT", process.env.LOG_FORMAT || "json", LOG_FORMATS);
  const config = {
    // The logger's own name goes under "logger", not pino's "name": a reconcile's logger carries the object's name
    // there, and two "name" keys in one JSON line leave a log collector to guess which one counts.
    base: { pid: process.pid, hostname: hostname(), logger: LOGGER_NAME },
    level,
    serializers: { err: serializeError },
    // Values under these keys are replaced wherever they appear in a log line's fields.
    redact: {
      paths: ["token", "password", "kubeconfig", "*.token", "*.password", "*.kubeconfig", "data", "*.data", "stringData", "*.stringData"],
      censor: "[redacted]",
    },
  };
  return format === "pretty" ? pino(config, prettyDestination()) : pino(config);
}
