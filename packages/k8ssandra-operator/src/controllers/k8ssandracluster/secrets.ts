import { randomInt } from "node:crypto";
import { type Client, type Cluster, controllerutil, isNotFound, Secret } from "@operator-ts/runtime";
import type { K8ssandraCluster } from "../../api/index.ts";
import { superuserSecretName } from "./desired.ts";
import { childLabels, ownership, REPLICATED_BY_LABEL, REPLICATED_BY_VALUE } from "./labels.ts";

const PASSWORD_ALPHABET = "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

function randomPassword(length = 20): string {
  return Array.from({ length }, () => PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)]).join("");
}

const b64 = (s: string) => Buffer.from(s).toString("base64");

/**
 * The superuser Secret, K8ssandra's way: `<cluster>-superuser` with the Secret's name as username and 20 random
 * characters as password, unless spec.cassandra.superuserSecretRef names one of the user's. Its content never
 * leaves Secrets: not in logs, Events, status or errors.
 */
export async function ensureSuperuserSecret(client: Client, k8c: K8ssandraCluster): Promise<{ secret?: Secret; problem?: string }> {
  const name = superuserSecretName(k8c);
  const namespace = k8c.metadata.namespace!;
  const userProvided = Boolean(k8c.spec.cassandra?.superuserSecretRef?.name);
  try {
    return { secret: await client.get(Secret, { namespace, name }) };
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  if (userProvided) return { problem: `superuser Secret ${namespace}/${name} named by spec.cassandra.superuserSecretRef does not exist` };
  const secret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name, namespace, labels: { ...childLabels(k8c), [REPLICATED_BY_LABEL]: REPLICATED_BY_VALUE } },
    data: { username: b64(name), password: b64(randomPassword()) },
  };
  controllerutil.setControllerReference(k8c, secret);
  try {
    return { secret: await client.create(secret) };
  } catch (err) {
    // A stale cache said "missing" while another pass had created it: read it back instead of minting a second password.
    return { secret: await client.get(Secret, { namespace, name }).catch(() => { throw err; }) };
  }
}

/** The Secrets to copy to every datacenter: the superuser Secret and any labelled for this cluster's replication. */
export async function secretsToReplicate(client: Client, k8c: K8ssandraCluster, superuser: Secret | undefined): Promise<Secret[]> {
  const labelled = await client.list(Secret, {
    namespace: k8c.metadata.namespace,
    labelSelector: { ...ownership.labelsFor(k8c), [REPLICATED_BY_LABEL]: REPLICATED_BY_VALUE },
  });
  const all = new Map(labelled.items.map((s) => [s.metadata!.name!, s]));
  if (superuser) all.set(superuser.metadata!.name!, superuser);
  return [...all.values()];
}

/**
 * Copies the Secrets into each of the namespaces in one cluster, writing only when a copy is missing or differs. Reads
 * go straight to the API server, so data-plane clusters need no watch on all their Secrets. Throws on the first
 * failure; the caller decides what a failure in that cluster means.
 */
export async function replicateSecrets(cluster: Cluster, k8c: K8ssandraCluster, secrets: Secret[], namespaces: Iterable<string>): Promise<true> {
  const labels = { ...childLabels(k8c), [REPLICATED_BY_LABEL]: REPLICATED_BY_VALUE };
  for (const namespace of namespaces) {
    for (const source of secrets) {
      const name = source.metadata!.name!;
      let current: Secret | undefined;
      try {
        current = await cluster.apiReader.get(Secret, { namespace, name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      if (!current) {
        await cluster.client.create<Secret>({
          apiVersion: "v1",
          kind: "Secret",
          type: source.type ?? "Opaque",
          metadata: { name, namespace, labels },
          data: source.data,
        });
      } else if (JSON.stringify(current.data ?? {}) !== JSON.stringify(source.data ?? {}) || current.metadata?.labels?.[REPLICATED_BY_LABEL] !== REPLICATED_BY_VALUE) {
        await cluster.client.update<Secret>({ ...current, data: source.data, metadata: { ...current.metadata, labels: { ...current.metadata?.labels, ...labels } } });
      }
    }
  }
  return true;
}
