/**
 * What a manager runs: a Runnable starts and runs until its signal aborts; the optional parts say whether it waits for
 * leadership and whether it serves requests (started first, stopped last). A leaf of the module graph, so that the
 * things a manager runs (clusters, controllers, webhook servers) need not import the manager.
 */
export {
  isServerRunnable,
  type LeaderElectionRunnable,
  needsLeaderElection,
  type Runnable,
  runnableFunc,
  type ServerRunnable,
} from "./runnable.ts";
