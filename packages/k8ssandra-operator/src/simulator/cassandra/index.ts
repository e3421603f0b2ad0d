/**
 * Real Cassandra for the cass-operator stand-in: jars from Maven Central cached once, one JVM per node on its own
 * loopback address, driven as cass-operator drives its pods. Tests and demos only.
 */
export { type RealCassandraOptions, RealCassandra, type SyncState } from "./cluster.ts";
export { type DatacenterPlan, type LiveNode, LocalDatacenter, type PlannedNode } from "./datacenter.ts";
export { type Credentials, canLogIn, nodeClient, withSession } from "./cql.ts";
export { planFor, superuserSecretName } from "./plan.ts";
export { type CassandraDistribution, DEFAULT_CASSANDRA_VERSION, ensureCassandra, type ResolveOptions } from "./resolve.ts";
export { CassandraTaskRunner, nodetoolArgs, setupCassandraTaskRunner, TASK_RUNNER_NAME } from "./tasks.ts";
export { CassandraTask, type CassandraTaskJob, TASK_STATUS_LABEL } from "./task-type.ts";
