import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "./registry.ts";

// controller-runtime's controller metrics (pkg/internal/controller/metrics), same names, labels and buckets.

export const reconcileTotal = new Counter({
  name: "controller_runtime_reconcile_total",
  help: "Total number of reconciliations per controller",
  labelNames: ["controller", "result"] as const,
  registers: [registry],
});

export const reconcileErrors = new Counter({
  name: "controller_runtime_reconcile_errors_total",
  help: "Total number of reconciliation errors per controller",
  labelNames: ["controller"] as const,
  registers: [registry],
});

export const terminalReconcileErrors = new Counter({
  name: "controller_runtime_terminal_reconcile_errors_total",
  help: "Total number of terminal reconciliation errors per controller",
  labelNames: ["controller"] as const,
  registers: [registry],
});

export const reconcileTime = new Histogram({
  name: "controller_runtime_reconcile_time_seconds",
  help: "Length of time per reconciliation per controller",
  labelNames: ["controller"] as const,
  buckets: [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5,
    3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
  ],
  registers: [registry],
});

export const activeWorkers = new Gauge({
  name: "controller_runtime_active_workers",
  help: "Number of currently used workers per controller",
  labelNames: ["controller"] as const,
  registers: [registry],
});

export const maxConcurrentReconciles = new Gauge({
  name: "controller_runtime_max_concurrent_reconciles",
  help: "Maximum number of concurrent reconciles per controller",
  labelNames: ["controller"] as const,
  registers: [registry],
});

export type ReconcileResultLabel = "success" | "error" | "requeue" | "requeue_after";

/** A controller's metric children, looked up once; every series starts at zero as controller-runtime's do. */
export interface ControllerMetrics {
  result(r: ReconcileResultLabel): void;
  error(): void;
  terminalError(): void;
  observeSeconds(s: number): void;
  workerStarted(): void;
  workerFinished(): void;
}

export function controllerMetrics(controller: string, maxConcurrent: number): ControllerMetrics {
  const results = {
    success: reconcileTotal.labels(controller, "success"),
    error: reconcileTotal.labels(controller, "error"),
    requeue: reconcileTotal.labels(controller, "requeue"),
    requeue_after: reconcileTotal.labels(controller, "requeue_after"),
  };
  for (const c of Object.values(results)) c.inc(0);
  const errors = reconcileErrors.labels(controller);
  errors.inc(0);
  const terminal = terminalReconcileErrors.labels(controller);
  terminal.inc(0);
  const time = reconcileTime.labels(controller);
  const active = activeWorkers.labels(controller);
  active.set(0);
  maxConcurrentReconciles.labels(controller).set(maxConcurrent);
  return {
    result: (r) => results[r].inc(),
    error: () => errors.inc(),
    terminalError: () => terminal.inc(),
    observeSeconds: (s) => time.observe(s),
    workerStarted: () => active.inc(),
    workerFinished: () => active.dec(),
  };
}
