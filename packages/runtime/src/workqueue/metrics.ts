import type { Clock } from "./clock.ts";

/** The hooks a work queue calls; keys are the queue's item keys. */
export interface QueueMetrics {
  /** An item became dirty (queued, or waiting for its in-flight twin to finish). */
  add(key: string): void;
  /** A worker took the item. */
  get(key: string): void;
  /** The worker finished the item. */
  done(key: string): void;
  /** An item was scheduled with addAfter/addRateLimited. */
  retry(): void;
  /** The queue shut down: its gauges stop being reported. */
  shutDown(): void;
}

/**
 * Makes the metrics of one named queue, as client-go's MetricsProvider does: the queue knows when things happen, the
 * provider (metrics/ gives the Prometheus one) knows where they are recorded. depth is read when it is reported.
 */
export type QueueMetricsProvider = (opts: { name: string; controller?: string; clock: Clock; depth: () => number }) => QueueMetrics;

export const noopQueueMetrics: QueueMetrics = {
  add() {},
  get() {},
  done() {},
  retry() {},
  shutDown() {},
};
