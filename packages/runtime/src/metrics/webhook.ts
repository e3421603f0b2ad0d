import { Counter, Gauge, Histogram } from "prom-client";
import { registry } from "./registry.ts";

// controller-runtime's webhook metrics (pkg/webhook/internal/metrics): same names, labels and help; "webhook" is the
// path the webhook is served on.

export const webhookLatency = new Histogram({
  name: "controller_runtime_webhook_latency_seconds",
  help: "Histogram of the latency of processing admission requests",
  labelNames: ["webhook"] as const,
  registers: [registry],
});

export const webhookRequestsTotal = new Counter({
  name: "controller_runtime_webhook_requests_total",
  help: "Total number of admission requests by HTTP status code.",
  labelNames: ["webhook", "code"] as const,
  registers: [registry],
});

export const webhookRequestsInFlight = new Gauge({
  name: "controller_runtime_webhook_requests_in_flight",
  help: "Current number of admission requests being served.",
  labelNames: ["webhook"] as const,
  registers: [registry],
});

export const webhookPanics = new Counter({
  name: "controller_runtime_webhook_panics_total",
  help: "Total number of webhook panics",
  registers: [registry],
});

/** Counts one request on a path from its start; the returned function ends it with the HTTP status it answered. */
export function webhookRequestStarted(path: string): (code: number) => void {
  const end = webhookLatency.labels(path).startTimer();
  const inFlight = webhookRequestsInFlight.labels(path);
  inFlight.inc();
  return (code) => {
    end();
    inFlight.dec();
    webhookRequestsTotal.labels(path, String(code)).inc();
  };
}
