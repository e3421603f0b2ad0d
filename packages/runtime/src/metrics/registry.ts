import { collectDefaultMetrics, Counter, Registry } from "prom-client";

/**
 * The process-wide registry, like controller-runtime's metrics.Registry: every controller, work queue and client
 * registers here under controller-runtime's metric names, so dashboards built for Go operators work unchanged.
 */
export const registry = new Registry();

// Process metrics (CPU, resident memory, heap, event-loop lag, open handles) under the names Go operators' dashboards
// know from client_golang's process collector, read when /metrics is scraped.
collectDefaultMetrics({ register: registry });

export const restClientRequests = new Counter({
  name: "rest_client_requests_total",
  help: "Number of HTTP requests, partitioned by status code, method, and host.",
  labelNames: ["code", "method", "host"] as const,
  registers: [registry],
});
