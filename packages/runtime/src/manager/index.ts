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
