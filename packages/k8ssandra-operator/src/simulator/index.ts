/**
 * A cass-operator stand-in for tests and demos: it drives CassandraDatacenters through the statuses cass-operator
 * writes, in clusters that have its CRD but not the operator. The operator itself never imports this folder.
 */
export {
  CassOperatorSimulator,
  type CassOperatorSimulatorOptions,
  type RunningSimulator,
  setupCassOperatorSimulator,
  SIMULATOR_NAME,
  startSimulator,
} from "./simulator.ts";
export { desiredNodes, invalidSpec, type SimulatedNode } from "./topology.ts";
export {
  CassandraTask,
  type CassandraTaskJob,
  DEFAULT_CASSANDRA_VERSION,
  ensureCassandra,
  type LiveNode,
  RealCassandra,
  type RealCassandraOptions,
  superuserSecretName,
  TASK_STATUS_LABEL,
} from "./cassandra/index.ts";
export { DEPLOYMENT_SIMULATOR_NAME, setupStargateDeploymentSimulator } from "./deployments.ts";
