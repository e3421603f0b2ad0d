// Numbers as the report shows them.
import type { Metric } from "./context.ts";
import type { Summary } from "./stats.ts";

export function formatValue(v: number, unit: Metric["unit"]): string {
  if (!Number.isFinite(v)) return "n/a";
  switch (unit) {
    case "µs":
      return `${Math.round(v).toLocaleString("en")} µs`;
    case "ms":
      return Math.abs(v) >= 10_000 ? `${(v / 1000).toFixed(1)} s` : Math.abs(v) >= 100 ? `${Math.round(v).toLocaleString("en")} ms` : `${v.toFixed(1)} ms`;
    case "s":
      return `${v.toFixed(1)} s`;
    case "bytes":
      return Math.abs(v) >= 2 ** 20 ? `${(v / 2 ** 20).toFixed(1)} MiB` : Math.abs(v) >= 10_240 ? `${(v / 1024).toFixed(0)} KiB` : `${Math.round(v).toLocaleString("en")} B`;
    case "objects/s":
      return `${Math.round(v).toLocaleString("en")}/s`;
    case "%":
      return `${v.toFixed(2)} %`;
    case "cpu-s":
      return `${v.toFixed(2)} CPU-s`;
    case "count":
      return Math.round(v).toLocaleString("en");
  }
}

export function formatSummary(s: Summary | undefined, unit: Metric["unit"]): string {
  if (!s) return "—";
  if (s.n === 1) return formatValue(s.median, unit);
  return `${formatValue(s.median, unit)} (${formatValue(s.min, unit)}–${formatValue(s.max, unit)})`;
}

export function ratioOf(m: Metric): number | undefined {
  if (!m.ts || !m.go || m.go.median === 0) return undefined;
  return m.ts.median / m.go.median;
}

export function goalState(m: Metric): "met" | "missed" | undefined {
  if (m.under !== undefined) return m.ts ? (m.ts.median < m.under ? "met" : "missed") : undefined;
  const r = ratioOf(m);
  if (m.goal === undefined || r === undefined) return undefined;
  return r <= m.goal ? "met" : "missed";
}

/** The goal column: a TS/Go ratio to stay at or below, or a TS figure to stay under. */
export function formatGoal(m: Metric): string {
  const state = goalState(m);
  const mark = state ? ` ${state === "met" ? "✅ met" : "❌ missed"}` : "";
  if (m.under !== undefined) return `< ${formatValue(m.under, m.unit)}${mark}`;
  return m.goal === undefined ? "" : `≤ ${m.goal.toFixed(1)}${mark}`;
}
