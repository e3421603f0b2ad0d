import {
  type CassandraDatacenter,
  type CassandraDatacenterConfig,
  type CassandraDatacenterTemplate,
  cleanupForKubernetes,
  CONFIG_SECRET_KEY,
  type K8ssandraCluster,
  SKIP_USER_CREATION_ANNOTATION,
  Stargate,
} from "../../api/index.ts";
import type { Secret } from "@operator-ts/runtime";
import { authEnabled, buildDatacenterConfig, defaultNumTokens, resolveNumTokens, type SystemReplication } from "./config.ts";
import { childLabels, hashOf, RESOURCE_HASH_ANNOTATION } from "./labels.ts";

export type DatacenterTemplate = CassandraDatacenterTemplate;

export function cassandraClusterName(k8c: K8ssandraCluster): string {
  return k8c.spec.cassandra?.clusterName || k8c.metadata.name!;
}

export function datacentersOf(k8c: K8ssandraCluster): DatacenterTemplate[] {
  return k8c.spec.cassandra?.datacenters ?? [];
}

/** The cluster a datacenter runs in: "" (the control plane) unless k8sContext names another. */
export function contextOf(dc: DatacenterTemplate): string {
  return dc.k8sContext ?? "";
}

export function namespaceOf(k8c: K8ssandraCluster, dc: DatacenterTemplate): string {
  return dc.metadata.namespace || k8c.metadata.namespace!;
}

export function superuserSecretName(k8c: K8ssandraCluster): string {
  return k8c.spec.cassandra?.superuserSecretRef?.name || `${cleanupForKubernetes(cassandraClusterName(k8c))}-superuser`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** K8ssandra's template merge: the datacenter's value wins, objects merge key by key, lists are replaced. */
export function mergeTemplates<T>(base: T | undefined, override: T | undefined): T | undefined {
  if (override === undefined) return base;
  if (!isObject(base) || !isObject(override)) return override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = mergeTemplates(out[k], v);
  return out as T;
}

export function configSecretName(k8c: K8ssandraCluster, dc: DatacenterTemplate): string {
  return `${cleanupForKubernetes(cassandraClusterName(k8c))}-${dc.metadata.name}-config`;
}

export interface DesiredDatacenter {
  datacenter: CassandraDatacenter;
  /**
   * The datacenter's configuration, in a Secret that spec.configSecret names: the real cass-operator CRD declares
   * spec.config as bytes and current API servers reject an object there, so configSecret is the form that passes.
   */
  configSecret: Secret;
  /** Why part of the spec was not applied (the rest was): a num_tokens change on a datacenter that exists. */
  refused?: string;
}

export interface DesiredOptions {
  /** The configuration the datacenter runs with; undefined while it does not exist. */
  running?: CassandraDatacenterConfig;
  /** The cluster's initial system replication (the K8ssandraCluster's annotation). */
  systemReplication?: SystemReplication;
}

/**
 * The CassandraDatacenter a datacenter template asks for. Seeds of the other datacenters go into additionalSeeds,
 * so its nodes can find the cluster (and find it again when their own seeds are down); every DC after the first skips superuser creation, which the
 * first one did, and only the first one carries the initial system replication.
 */
export function desiredDatacenter(
  k8c: K8ssandraCluster,
  dc: DatacenterTemplate,
  position: number,
  seeds: string[],
  options: DesiredOptions = {},
): DesiredDatacenter {
  const cassandra = k8c.spec.cassandra ?? {};
  const serverType = cassandra.serverType ?? "cassandra";
  const serverVersion = dc.serverVersion ?? cassandra.serverVersion ?? "";
  const storageConfig = mergeTemplates(cassandra.storageConfig, dc.storageConfig) ?? {};
  const additionalSeeds = [...seeds, ...(cassandra.additionalSeeds ?? [])];
  const serverImage = dc.serverImage ?? cassandra.serverImage;
  const racks = dc.racks ?? cassandra.racks;
  const networking = mergeTemplates(cassandra.networking, dc.networking);
  const resources = dc.resources ?? cassandra.resources;
  const merged = mergeTemplates(cassandra.config, dc.config);
  const numTokens = resolveNumTokens(merged?.cassandraYaml?.num_tokens, options.running, defaultNumTokens(serverType, serverVersion));
  const config = buildDatacenterConfig({
    config: merged,
    serverType,
    serverVersion,
    auth: authEnabled(k8c),
    numTokens: numTokens.value,
    systemReplication: position === 0 ? options.systemReplication : undefined,
  });
  const annotations: Record<string, string> = { ...dc.metadata.annotations };
  if (position > 0) annotations[SKIP_USER_CREATION_ANNOTATION] = "true";
  const desired: CassandraDatacenter = {
    apiVersion: "cassandra.datastax.com/v1beta1",
    kind: "CassandraDatacenter",
    metadata: {
      name: dc.metadata.name,
      namespace: namespaceOf(k8c, dc),
      labels: { ...dc.metadata.labels, ...childLabels(k8c) },
      annotations,
    },
    spec: {
      clusterName: cassandraClusterName(k8c),
      serverType,
      serverVersion,
      size: dc.size,
      stopped: dc.stopped ?? false,
      storageConfig: storageConfig as CassandraDatacenter["spec"]["storageConfig"],
      superuserSecretName: superuserSecretName(k8c),
      ...(serverImage ? { serverImage } : {}),
      configSecret: configSecretName(k8c, dc),
      ...(racks?.length ? { racks: racks as CassandraDatacenter["spec"]["racks"] } : {}),
      ...(networking ? { networking } : {}),
      ...(resources ? { resources } : {}),
      ...(additionalSeeds.length ? { additionalSeeds } : {}),
      ...(dc.datacenterName ? { datacenterName: dc.datacenterName } : {}),
    },
  };
  // The configuration is part of the hash: a changed config Secret must roll the datacenter like a changed spec.
  desired.metadata.annotations![RESOURCE_HASH_ANNOTATION] = hashOf({ spec: desired.spec, metadata: desired.metadata, config });
  const configSecret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name: configSecretName(k8c, dc), namespace: desired.metadata.namespace, labels: childLabels(k8c) },
    data: { [CONFIG_SECRET_KEY]: Buffer.from(JSON.stringify(config)).toString("base64") },
  };
  const running = numTokens.refused?.running ?? "the server's default";
  const refused = numTokens.refused
    ? `datacenter ${dc.metadata.name}: num_tokens cannot change once the datacenter exists: it runs with ${running}, the spec asks for ${numTokens.refused.requested}; keeping ${running}`
    : undefined;
  return { datacenter: desired, configSecret, ...(refused ? { refused } : {}) };
}

export function stargateName(k8c: K8ssandraCluster, dc: DatacenterTemplate): string {
  return `${cleanupForKubernetes(cassandraClusterName(k8c))}-${dc.metadata.name}-stargate`;
}

/** The Stargate of a datacenter: the cluster's template under the datacenter's, none when neither asks or the DC is stopped. */
export function desiredStargate(k8c: K8ssandraCluster, dc: DatacenterTemplate): Stargate | undefined {
  const template = mergeTemplates<Record<string, unknown>>(
    k8c.spec.stargate as Record<string, unknown> | undefined,
    dc.stargate as Record<string, unknown> | undefined,
  );
  if (!template || dc.stopped) return undefined;
  const stargate: Stargate = {
    apiVersion: Stargate.apiVersion,
    kind: Stargate.kind,
    metadata: {
      name: stargateName(k8c, dc),
      namespace: namespaceOf(k8c, dc),
      labels: { ...childLabels(k8c), "app.kubernetes.io/component": "stargate" },
      annotations: {},
    },
    // Stargate authenticates as the cluster does, as in K8ssandra.
    spec: { ...(template as Omit<Stargate["spec"], "datacenterRef">), datacenterRef: { name: dc.metadata.name }, auth: authEnabled(k8c) },
  };
  stargate.metadata.annotations![RESOURCE_HASH_ANNOTATION] = hashOf({ spec: stargate.spec, labels: stargate.metadata.labels });
  return stargate;
}
