import { Counter, Gauge, Histogram } from "prom-client";
import type { Clock } from "../workqueue/clock.ts";
import type { QueueMetrics, QueueMetricsProvider } from "../workqueue/metrics.ts";
import { registry } from "./registry.ts";

// client-go's work-queue metrics under the names and labels controller-runtime registers them with (name and
// controller both carry the queue's name), so Go operators' dashboards and alerts apply unchanged.

const labelNames = ["name", "controller"] as const;
// client-go: prometheus.ExponentialBuckets(10e-9, 10, 12).
const durationBuckets = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/** What a live queue reports at scrape time; gauges are computed then rather than kept up to date on every operation. */
interface Live {
  readonly labels: { name: string; controller: string };
  depth(): number;
  unfinishedWorkSeconds(): number;
  longestRunningProcessorSeconds(): number;
}

const live = new Set<Live>();

function collectGauge(gauge: Gauge<"name" | "controller">, read: (q: Live) => number, combine: (a: number, b: number) => number): void {
  gauge.reset();
  const values = new Map<string, { labels: Live["labels"]; value: number }>();
  for (const q of live) {
    const key = `${q.labels.name}\u0000${q.labels.controller}`;
    const v = read(q);
    const prev = values.get(key);
    values.set(key, { labels: q.labels, value: prev ? combine(prev.value, v) : v });
  }
  for (const { labels, value } of values.values()) gauge.set(labels, value);
}

const sum = (a: number, b: number): number => a + b;

export const workqueueDepth = new Gauge({
  name: "workqueue_depth",
  help: "Current depth of workqueue",
  labelNames,
  registers: [registry],
  collect() {
    collectGauge(this, (q) => q.depth(), sum);
  },
});

export const workqueueAdds = new Counter({
  name: "workqueue_adds_total",
  help: "Total number of adds handled by workqueue",
  labelNames,
  registers: [registry],
});

export const workqueueRetries = new Counter({
  name: "workqueue_retries_total",
  help: "Total number of retries handled by workqueue",
  labelNames,
  registers: [registry],
});

export const workqueueQueueDuration = new Histogram({
  name: "workqueue_queue_duration_seconds",
  help: "How long in seconds an item stays in workqueue before being requested",
  labelNames,
  buckets: durationBuckets,
  registers: [registry],
});

export const workqueueWorkDuration = new Histogram({
  name: "workqueue_work_duration_seconds",
  help: "How long in seconds processing an item from workqueue takes.",
  labelNames,
  buckets: durationBuckets,
  registers: [registry],
});

export const workqueueUnfinishedWork = new Gauge({
  name: "workqueue_unfinished_work_seconds",
  help:
    "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. " +
    "Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
  labelNames,
  registers: [registry],
  collect() {
    collectGauge(this, (q) => q.unfinishedWorkSeconds(), sum);
  },
});

export const workqueueLongestRunningProcessor = new Gauge({
  name: "workqueue_longest_running_processor_seconds",
  help: "How many seconds has the longest running processor for workqueue been running.",
  labelNames,
  registers: [registry],
  collect() {
    collectGauge(this, (q) => q.longestRunningProcessorSeconds(), Math.max);
  },
});

class Recorder implements QueueMetrics, Live {
  readonly labels: { name: string; controller: string };
  private readonly clock: Clock;
  private readonly depthOf: () => number;
  private readonly addTimes = new Map<string, number>();
  private readonly processingStart = new Map<string, number>();
  private readonly adds: Counter.Internal;
  private readonly retries: Counter.Internal;
  private readonly queueLatency: Histogram.Internal<"name" | "controller">;
  private readonly workLatency: Histogram.Internal<"name" | "controller">;

  constructor(name: string, controller: string, clock: Clock, depth: () => number) {
    this.labels = { name, controller };
    this.clock = clock;
    this.depthOf = depth;
    this.adds = workqueueAdds.labels(this.labels);
    this.retries = workqueueRetries.labels(this.labels);
    this.queueLatency = workqueueQueueDuration.labels(this.labels);
    this.workLatency = workqueueWorkDuration.labels(this.labels);
    live.add(this);
  }

  add(key: string): void {
    this.adds.inc();
    if (!this.addTimes.has(key)) this.addTimes.set(key, this.clock.now());
  }

  get(key: string): void {
    const now = this.clock.now();
    const added = this.addTimes.get(key);
    if (added !== undefined) {
      this.queueLatency.observe((now - added) / 1000);
      this.addTimes.delete(key);
    }
    this.processingStart.set(key, now);
  }

  done(key: string): void {
    const started = this.processingStart.get(key);
    if (started !== undefined) {
      this.workLatency.observe((this.clock.now() - started) / 1000);
      this.processingStart.delete(key);
    }
  }

  retry(): void {
    this.retries.inc();
  }

  shutDown(): void {
    live.delete(this);
  }

  depth(): number {
    return this.depthOf();
  }

  unfinishedWorkSeconds(): number {
    const now = this.clock.now();
    let total = 0;
    for (const started of this.processingStart.values()) total += now - started;
    return total / 1000;
  }

  longestRunningProcessorSeconds(): number {
    const now = this.clock.now();
    let longest = 0;
    for (const started of this.processingStart.values()) longest = Math.max(longest, now - started);
    return longest / 1000;
  }
}

/**
 * Metrics for one named queue. depth is read at scrape time. controller defaults to the name, as controller-runtime
 * labels a controller's queue with the controller's name twice.
 */
export const newQueueMetrics: QueueMetricsProvider = (opts) => new Recorder(opts.name, opts.controller ?? opts.name, opts.clock, opts.depth);
