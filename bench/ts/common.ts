// What every TS scenario program shares: its arguments, the protocol lines the harness reads, and process readings.
// Each program mirrors the Go program of the same scenario in bench/go-baseline/ line for line.
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";

export const NAMESPACE = "bench";
export const SENT_KEY = "bench.operator-ts.io/sent";
export const RECONCILED_KEY = "bench.operator-ts.io/reconciled";
/** A label no object carries: the idle program's cache holds nothing. */
export const IDLE_SELECTOR = { "bench.operator-ts.io/idle": "none" };

/** The union of every scenario's parameters, as the harness sends them (bench/lib/protocol.ts). */
export interface Params {
  count: number;
  workers: number;
  transform?: boolean;
  lateAddFraction?: number;
  [key: string]: unknown;
}

export function args(): { kubeconfigs: string[]; params: Params } {
  const { values } = parseArgs({ options: { kubeconfig: { type: "string" }, params: { type: "string", default: "{}" } } });
  if (!values.kubeconfig) throw new Error("--kubeconfig is required");
  return { kubeconfigs: values.kubeconfig.split(","), params: JSON.parse(values.params!) as Params };
}

export function loadKubeConfig(path: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export function emit(event: string, fields: Record<string, unknown> = {}): void {
  process.stdout.write(`BENCH ${JSON.stringify({ event, ...fields })}\n`);
}

export function fail(err: unknown): never {
  emit("error", { message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

/** Epoch milliseconds with sub-millisecond precision, comparable with the Go programs' time.Now(). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export function nowUs(): number {
  return Math.round(nowMs() * 1000);
}

export function rssBytes(): number {
  // Read as the Go side reads it, from /proc, rather than through process.memoryUsage() which walks the heap too.
  return statusBytes("VmRSS") ?? process.memoryUsage.rss();
}

/** The most RSS the process has had since it started (the kernel's VmHWM), as the Go side reads it. */
export function peakRssBytes(): number {
  return statusBytes("VmHWM") ?? 0;
}

function statusBytes(field: "VmRSS" | "VmHWM"): number | undefined {
  const kb = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync("/proc/self/status", "utf8"))?.[1];
  return kb ? Number(kb) * 1024 : undefined;
}

/** A full collection first (node runs with --expose-gc), twice so that weakly held and finalised objects go too. */
export function settledMemory(): { rss: number; heap: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run node with --expose-gc");
  gc();
  gc();
  return { rss: rssBytes(), heap: process.memoryUsage().heapUsed };
}

export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Runs main and reports a failure as a protocol line, so the harness shows the reason rather than a timeout. */
export function run(main: () => Promise<void>): void {
  // The harness ends programs with SIGTERM; exiting normally lets node --cpu-prof write its profile.
  process.once("SIGTERM", () => process.exit(0));
  main().then(
    () => process.exit(0),
    (err: unknown) => fail(err),
  );
}

/**
 * With params.profileDir (npm run bench -- --profile), a V8 CPU profile of the measured phase only, from this call
 * to the returned stop function: module loading and setup stay out of it. Without it, a no-op.
 */
export async function startProfile(params: Params, name: string): Promise<() => Promise<void>> {
  const dir = params.profileDir;
  if (typeof dir !== "string") return async () => {};
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 200 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
