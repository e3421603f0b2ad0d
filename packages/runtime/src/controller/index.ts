/**
 * A Controller: sources feed a rate-limited work queue of requests, workers take them and call the reconciler, failures
 * are requeued with backoff, terminal errors are not; controller-runtime's metrics and logs. builder/ makes one, the
 * manager runs it as a Runnable (on the leader, by default).
 */
export { Controller, type ControllerOptions } from "./controller.ts";
