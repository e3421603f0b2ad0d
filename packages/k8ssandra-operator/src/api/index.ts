/**
 * The K8ssandra operator's API: its own custom resources (K8ssandraCluster, ClientConfig, Stargate), from which
 * config/crd is generated, and the subset of cass-operator's that it writes (CassandraDatacenter, CassandraTask), from
 * which config/cass-operator-crd is generated for the simulator, the demo and tests (`npm run generate`).
 */
export * from "./k8ssandracluster.ts";
export * from "./clientconfig.ts";
export * from "./stargate.ts";
export * from "./cassandradatacenter.ts";
export { parseDatacenterConfig, readDatacenterConfig } from "./datacenter-config.ts";
export * from "./cassandratask.ts";
export { STARGATE_DEFAULT_HEAP_SIZE, STARGATE_DEFAULT_SIZE, type CassandraConfig, type ContainerImage, type Networking, type PersistentVolumeClaimSpec, type Rack, type ResourceRequirements, type StorageConfig } from "./common.ts";
export { SUPPORTED_SPEC, type Support, unsupportedFields } from "./unsupported.ts";
export { bytesQuantity, quantityValue } from "./quantity.ts";
