/**
 * client-go's work queues: an item queued twice is handed out once, never to two workers at once; delays, rate
 * limiters and fairness between shards. Items are identified by keyOf, metrics go to a provider: the queue knows
 * nothing of Requests or Prometheus.
 */
export { type Clock, type TimerHandle, FakeClock, MAX_TIMER_DELAY_MS, realClock } from "./clock.ts";
export { type WorkQueue, type QueueOptions, Queue, defaultKeyOf } from "./queue.ts";
export { type QueueMetrics, type QueueMetricsProvider, noopQueueMetrics } from "./metrics.ts";
export { type DelayingWorkQueue, DelayingQueue } from "./delaying.ts";
export { type RateLimitingWorkQueue, type RateLimitingQueueOptions, RateLimitingQueue } from "./ratelimiting.ts";
export {
  type RateLimiter,
  type BucketOptions,
  type ControllerRateLimiterOptions,
  exponentialFailureRateLimiter,
  fastSlowRateLimiter,
  bucketRateLimiter,
  maxOfRateLimiter,
  defaultControllerRateLimiter,
} from "./ratelimiter.ts";
