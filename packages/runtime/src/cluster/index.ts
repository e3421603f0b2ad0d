/**
 * A Cluster: what it takes to work with one API server, built from a kubeconfig: transport, REST mapper, client,
 * cache, Event recorder. A manager owns one (its home cluster); the multi-cluster add-on adds more, each a Runnable.
 */
export * from "./cluster.ts";
