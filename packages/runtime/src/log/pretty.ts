import { inspect } from "node:util";

const LEVELS: Record<number, { name: string; color: number }> = {
  10: { name: "TRACE", color: 90 },
  20: { name: "DEBUG", color: 36 },
  30: { name: "INFO", color: 32 },
  40: { name: "WARN", color: 33 },
  50: { name: "ERROR", color: 31 },
  60: { name: "FATAL", color: 35 },
};

// Fields every line has, shown in the line's frame (or not at all) instead of as key=value pairs. "name" is never
// one of them: it is the object a line is about.
const FRAME = new Set(["level", "time", "msg", "pid", "hostname"]);
/** The runtime logger's own name, under the key "logger" in every line. */
export const LOGGER_NAME = "operator-ts";

function value(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || v === null) return String(v);
  return inspect(v, { breakLength: Infinity, depth: 4 });
}

/**
 * One pino JSON line as a person reads it at a terminal: `12:04:05.123 INFO  reconciled controller=memcached
 * name=cache duration=12ms`, an error's stack on the lines below. Anything that is not a JSON object passes through.
 */
export function formatPretty(line: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith("\n") ? line : `${line}\n`;
  }
  if (!entry || typeof entry !== "object") return `${line}\n`;
  const level = LEVELS[Number(entry.level)] ?? { name: String(entry.level).toUpperCase(), color: 0 };
  const time = typeof entry.time === "number" ? new Date(entry.time).toISOString().slice(11, 23) : "";
  const paint = (code: number, text: string) => (color && code ? `\u001b[${code}m${text}\u001b[0m` : text);
  let stack = "";
  const fields: string[] = [];
  for (const [k, v] of Object.entries(entry)) {
    if (FRAME.has(k) || (k === "logger" && v === LOGGER_NAME)) continue;
    if (v && typeof v === "object" && typeof (v as { message?: unknown }).message === "string" && typeof (v as { stack?: unknown }).stack === "string") {
      const err = v as { message: string; stack: string };
      fields.push(`${k}=${value(err.message)}`);
      if (Number(entry.level) >= 50) stack += `\n    ${err.stack.split("\n").slice(1).map((s) => s.trim()).join("\n    ")}`;
      continue;
    }
    fields.push(`${paint(90, `${k}=`)}${value(v)}`);
  }
  const msg = typeof entry.msg === "string" ? entry.msg : "";
  return `${paint(90, time)} ${paint(level.color, level.name.padEnd(5))} ${msg}${fields.length ? ` ${fields.join(" ")}` : ""}${stack}\n`;
}

/** A pino destination that writes readable lines instead of JSON. */
export function prettyDestination(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout): { write(line: string): void } {
  const color = Boolean(out.isTTY) && !process.env.NO_COLOR;
  return { write: (line: string) => void out.write(formatPretty(line, color)) };
}
