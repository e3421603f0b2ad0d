/**
 * Prometheus metrics under controller-runtime's and client-go's names and labels, so Go dashboards apply: one registry,
 * and the recorders controllers, work queues (through their metrics provider), REST clients, leader election and
 * webhooks report to.
 */
export { registry, restClientRequests } from "./registry.ts";
