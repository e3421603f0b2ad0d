import { Counter, Gauge } from "prom-client";
import { registry } from "../metrics/registry.ts";

/** Something with a store: counted at scrape time, so keeping the gauge current costs nothing per event. */
export interface StoreSizeSource {
  readonly metricKind: string;
  storeSize(): number;
}

const sources = new Set<StoreSizeSource>();

export function trackStoreSize(source: StoreSizeSource): () => void {
  sources.add(source);
  return () => sources.delete(source);
}

export const informerObjects = new Gauge({
  name: "informer_cache_objects",
  help: "Number of objects in the shared informer cache, by kind (summed over the caches of this process).",
  labelNames: ["kind"] as const,
  registers: [registry],
  collect() {
    this.reset();
    const sums = new Map<string, number>();
    for (const s of sources) sums.set(s.metricKind, (sums.get(s.metricKind) ?? 0) + s.storeSize());
    for (const [kind, n] of sums) this.set({ kind }, n);
  },
});

export const informerLists = new Counter({
  name: "informer_cache_lists_total",
  help: "Number of complete lists made by informer reflectors, by kind.",
  labelNames: ["kind"] as const,
  registers: [registry],
});

export const informerWatchRestarts = new Counter({
  name: "informer_cache_watch_restarts_total",
  help: "Number of watches re-established for a reason other than their normal timeout, by kind and reason.",
  labelNames: ["kind", "reason"] as const,
  registers: [registry],
});

/** "apps/v1/Deployment", "v1/ConfigMap". */
export function metricKind(type: { apiVersion: string; kind: string }): string {
  return `${type.apiVersion}/${type.kind}`;
}
