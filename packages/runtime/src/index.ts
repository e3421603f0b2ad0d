/**
 * @operator-ts/runtime: controller-runtime for TypeScript. Concepts keep their controller-runtime names; each
 * folder's public face is re-exported here, whole as a namespace (`handler.enqueueRequestForOwner`) and, for the
 * names every operator uses, at the top level.
 */

// Objects, kinds and REST mapping
export * from "./api/object.ts";
export * from "./api/kinds.ts";
export { formatApiVersion, gvkKey, gvkOf, keyString, objectKey, objectKeyString, parseApiVersion, typeOf } from "./api/meta.ts";
export { RESTMapper, type RESTMapping, resourcePath } from "./client/restmapper.ts";
export * as conditions from "./api/conditions.ts";
export type { Condition } from "./api/conditions.ts";

// Client and cache
export * as client from "./client/index.ts";
export {
  ApiError,
  type CallOptions,
  type Client,
  type CreateOptions,
  type DeleteAllOfOptions,
  type DeleteOptions,
  type FieldSelector,
  type GetOptions,
  ignoreAlreadyExists,
  ignoreNotFound,
  isAlreadyExists,
  isConflict,
  isConnectionError,
  isForbidden,
  isGone,
  isInvalid,
  isNoMatch,
  isNotFound,
  type LabelSelector,
  type ListOptions,
  newClient,
  NoKindMatchError,
  Patch,
  type PatchOptions,
  type PatchType,
  type Reader,
  RestClient,
  RestTransport,
  type WriteGate,
  type StatusWriter,
  type UpdateOptions,
  type WriteOptions,
  type Writer,
} from "./client/index.ts";
export * as labels from "./labels/index.ts";
export * as cache from "./cache/index.ts";
export { type Cache, type CacheOptions, type Informer, InformerCache } from "./cache/index.ts";
export { metadataOnly, type MetadataOnlyType, type PartialObjectMetadata } from "./cache/index.ts";
export { Cluster, type ClusterOptions } from "./cluster/index.ts";

// Controllers
export * as reconcile from "./reconcile/index.ts";
export { type ReconcileFunc, type Reconciler, type Request, type Result, TerminalError } from "./reconcile/index.ts";
export * as handler from "./handler/index.ts";
export type { EventHandler } from "./handler/index.ts";
export * as predicate from "./predicate/index.ts";
export type { Predicate } from "./predicate/index.ts";
export * as source from "./source/index.ts";
export type { Source } from "./source/index.ts";
export * as workqueue from "./workqueue/index.ts";
export { Controller, type ControllerOptions } from "./controller/index.ts";
export { Builder, type BuilderOptions, controllerManagedBy } from "./builder/index.ts";
export * as controllerutil from "./controllerutil/index.ts";

// Running: manager, leader election, observability
export { HttpServerRunnable, Manager, type ManagerOptions, type Runnable, runnableFunc, setupSignalHandler } from "./manager/index.ts";
export { LeaderElectionLostError, type LeaderElectionOptions, LeaderElector } from "./leaderelection/index.ts";
export { EventBroadcaster, type EventRecorder, type EventType } from "./recorder/index.ts";
export * as metrics from "./metrics/index.ts";
export * as healthz from "./healthz/index.ts";
export * as log from "./log/index.ts";
export { FlagError, type FlagConfig, type FlagsOptions, parseStandardFlags, type StandardFlags } from "./flags/index.ts";
export type { Logger } from "./log/index.ts";
export * as rbac from "./rbac/index.ts";
