/**
 * @operator-ts/k8ssandra-operator: Cassandra datacenters across several Kubernetes clusters, built only on the public
 * APIs of @operator-ts/runtime and @operator-ts/multicluster. The cass-operator simulator and the local demo live in
 * src/simulator and src/dev, and are not part of this public face.
 */
export * from "./api/index.ts";
export { controlPlaneFromEnv, createOperator, LEADER_ELECTION_ID, type Operator, type OperatorOptions } from "./operator.ts";
export {
  type CqlOptions,
  K8ssandraClusterReconciler,
  type K8ssandraClusterControllerOptions,
  setupK8ssandraClusterController,
} from "./controllers/k8ssandracluster/index.ts";
export { setupStargateController, StargateReconciler } from "./controllers/stargate.ts";
export * from "./webhook/index.ts";
export { createClientConfig, type CreateClientConfigOptions, type CreateClientConfigResult } from "./cli/clientconfig.ts";
export { type PreflightOptions, type PreflightReport, runPreflight } from "./cli/preflight.ts";
