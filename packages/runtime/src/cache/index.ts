/**
 * The informer cache: one shared informer per kind (a reflector's list and watch feeding an indexed Store, whose
 * changes go to event handlers), read through get and list with label selectors, field selectors and field indexes.
 * A manager's client reads from it and sources attach their handlers to it. Stored objects are shared: reads hand out
 * copies, event handlers get the stored object itself.
 */
export type {
  ByObjectOptions,
  Cache,
  CacheOptions,
  HandlerRegistration,
  Informer,
  ReflectorTuning,
  ResourceEventHandler,
} from "./interfaces.ts";
export { CacheNotStartedError, InformerCache, UnknownNamespaceError } from "./informer-cache.ts";
export { SharedInformer, type SharedInformerOptions } from "./informer.ts";
export { Reflector, type ReflectorOptions, type ReflectorSink, type ReflectorStats } from "./reflector.ts";
export { type IndexFunc, type ReplaceResult, Store } from "./store.ts";
export { ALL_NAMESPACES, fieldIndexName, selectFromStore, type StoreQuery } from "./query.ts";
export { MissingIndexError } from "./errors.ts";
export { Backoff, type BackoffOptions } from "./backoff.ts";
export {
  type FieldRequirement,
  fieldSelectorString,
  type LabelOperator,
  type LabelRequirement,
  labelSelectorString,
  type ParsedLabelSelector,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
  selectorMatches,
} from "../labels/index.ts";
export { jsonClone, jsonEqual } from "../api/json.ts";
export { transformStripManagedFields } from "./transforms.ts";
export { isMetadataOnly, metadataOnly, type MetadataOnlyType, type PartialObjectMetadata } from "../client/metadata.ts";
