export { Manager, type ManagerOptions, setupSignalHandler } from "./manager.ts";
export { HttpServerRunnable, parseBindAddress } from "./http.ts";
export { type HasCache, type LeaderElectionRunnable, needsLeaderElection, type Runnable, runnableFunc } from "./runnable.ts";
