/**
 * The Manager: owns the home cluster (client, cache, recorder) and runs Runnables: servers first (metrics, probes,
 * webhooks), then caches, then controllers and other work, the leader-only kind under leader election; on its signal it
 * stops them in reverse.
 */
export { Manager, type ManagerOptions, setupSignalHandler } from "./manager.ts";
export { HttpServerRunnable, parseBindAddress } from "./http.ts";
export {
  isServerRunnable,
  type LeaderElectionRunnable,
  needsLeaderElection,
  type Runnable,
  runnableFunc,
  type ServerRunnable,
} from "../runnable/index.ts";
