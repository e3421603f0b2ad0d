/**
 * A health or readiness check: resolves when healthy, throws (with a reason) when not. It may resolve with a short
 * detail line, shown by ?verbose (per-cluster reachability, say) without failing the check.
 */
export type Checker = () => void | string | Promise<void | string>;

/** Always healthy: the default liveness check once the process serves HTTP. */
export const ping: Checker = () => {};

export interface CheckResult {
  name: string;
  ok: boolean;
  reason?: string;
  detail?: string;
}

/** Runs every check (in parallel) and reports each, as /healthz?verbose does in Kubernetes components. */
export async function runChecks(checks: Map<string, Checker>, exclude: Set<string> = new Set()): Promise<CheckResult[]> {
  const entries = [...checks].filter(([name]) => !exclude.has(name));
  return Promise.all(
    entries.map(async ([name, check]) => {
      try {
        const detail = await check();
        return typeof detail === "string" && detail ? { name, ok: true, detail } : { name, ok: true };
      } catch (err) {
        return { name, ok: false, reason: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
}

export function formatResults(path: string, results: CheckResult[], verbose: boolean): { status: number; body: string } {
  const failed = results.filter((r) => !r.ok);
  const status = failed.length ? 500 : 200;
  if (!verbose && !failed.length) return { status, body: "ok" };
  const lines = results.map((r) => (r.ok ? `[+]${r.name} ok${r.detail ? `: ${r.detail}` : ""}` : `[-]${r.name} failed: ${r.reason ?? "reason withheld"}`));
  lines.push(failed.length ? `${path.slice(1)} check failed` : `${path.slice(1)} check passed`);
  return { status, body: `${lines.join("\n")}\n` };
}
