import { Writable } from "node:stream";
import { log } from "@operator-ts/runtime";
import { type Level, type Logger, pino } from "pino";

/** A logger that keeps every JSON line it writes, for tests that look at what was logged. */
export function recordLogs(level: Level = "debug"): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = pino(
    // The runtime's own serializer for { err }, so what tests see is what the root logger writes.
    { level, serializers: { err: log.serializeError } },
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  );
  return { logger, lines };
}
