// What the numbers were taken on, and how busy the machine was with work that is not ours.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, freemem, loadavg, release, totalmem } from "node:os";
import { setTimeout as delay } from "node:timers/promises";

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryBytes: number;
  freeMemoryBytes: number;
  kernel: string;
  node: string;
  go: string;
  kubernetes: string;
  etcd: string;
}

export function describeMachine(versions: { kubernetes: string; etcd: string }): Machine {
  let go = "unknown";
  try {
    go = execFileSync("go", ["version"], { encoding: "utf8", env: { ...process.env, GOTOOLCHAIN: "local" } }).trim().replace(/^go version /, "");
  } catch {
    // reported as unknown
  }
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    kernel: release(),
    node: process.version,
    go,
    kubernetes: versions.kubernetes,
    etcd: versions.etcd,
  };
}

function cpuTimes(): { busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** Fraction of all cores busy over a short window, before the harness starts anything: the other tenants' share. */
export async function backgroundBusy(windowMs = 3000): Promise<number> {
  const a = cpuTimes();
  await delay(windowMs);
  const b = cpuTimes();
  return b.total === a.total ? 0 : (b.busy - a.busy) / (b.total - a.total);
}

export function loadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}

/** A running reading of machine-wide CPU use between two calls of the returned function. */
export function busyMeter(): () => number {
  let last = cpuTimes();
  return () => {
    const now = cpuTimes();
    const f = now.total === last.total ? 0 : (now.busy - last.busy) / (now.total - last.total);
    last = now;
    return f;
  };
}
