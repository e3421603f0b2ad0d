import { randomBytes } from "node:crypto";
import { type Client, isNotFound, type Reader, Secret } from "@operator-ts/runtime";
import {
  type CassandraDatacenter,
  type CassandraDatacenterConfig,
  cleanupForKubernetes,
  CONFIG_SECRET_KEY,
  datacenterLabels,
  SKIP_USER_CREATION_ANNOTATION,
} from "../../api/index.ts";
import type { SimulatedNode } from "../topology.ts";
import type { Credentials } from "./cql.ts";
import type { DatacenterPlan } from "./datacenter.ts";

/** The Secret holding the superuser, as cass-operator names it when spec.superuserSecretName is empty. */
export function superuserSecretName(dc: CassandraDatacenter): string {
  return dc.spec.superuserSecretName || `${cleanupForKubernetes(dc.spec.clusterName)}-superuser`;
}

function decode(secret: Secret, key: string): string | undefined {
  const value = secret.data?.[key];
  return value === undefined ? undefined : Buffer.from(value, "base64").toString("utf8");
}

/**
 * The superuser's credentials from its Secret (keys username and password). When spec.superuserSecretName is empty
 * and the Secret does not exist, cass-operator makes one with a random password, and so does the stand-in; a named
 * Secret that is missing is waited for.
 */
async function superuser(dc: CassandraDatacenter, reader: Reader, client: Client): Promise<Credentials | string> {
  const name = superuserSecretName(dc);
  const key = { namespace: dc.metadata.namespace, name };
  let secret: Secret;
  try {
    secret = await reader.get(Secret, key);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    if (dc.spec.superuserSecretName) return `superuser Secret ${name} not found`;
    secret = await client.create<Secret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { ...key, labels: datacenterLabels(dc) },
      data: {
        username: Buffer.from(`${cleanupForKubernetes(dc.spec.clusterName)}-superuser`).toString("base64"),
        password: randomBytes(24).toString("base64"),
      },
    });
  }
  const username = decode(secret, "username");
  const password = decode(secret, "password");
  if (!username || !password) return `superuser Secret ${name} needs both username and password`;
  return { username, password };
}

async function datacenterConfig(dc: CassandraDatacenter, reader: Reader): Promise<CassandraDatacenterConfig | string> {
  if (!dc.spec.configSecret) return dc.spec.config ?? {};
  let secret: Secret;
  try {
    secret = await reader.get(Secret, { namespace: dc.metadata.namespace, name: dc.spec.configSecret });
  } catch (err) {
    if (isNotFound(err)) return `configSecret ${dc.spec.configSecret} not found`;
    throw err;
  }
  const text = decode(secret, CONFIG_SECRET_KEY);
  if (!text) return `configSecret ${dc.spec.configSecret} has no ${CONFIG_SECRET_KEY} key`;
  try {
    return JSON.parse(text) as CassandraDatacenterConfig;
  } catch {
    return `configSecret ${dc.spec.configSecret}: config is not valid JSON`;
  }
}

/** What the datacenter's nodes should run, or why that cannot be said yet (a Secret missing or malformed). */
export async function planFor(dc: CassandraDatacenter, nodes: SimulatedNode[], heap: string, reader: Reader, client: Client): Promise<DatacenterPlan | string> {
  const config = await datacenterConfig(dc, reader);
  if (typeof config === "string") return config;
  const credentials = await superuser(dc, reader, client);
  if (typeof credentials === "string") return credentials;
  // Seeds first, as cass-operator starts them, so the other nodes find a ready seed when they bootstrap.
  const ordered = [...nodes.filter((n) => n.seed), ...nodes.filter((n) => !n.seed)];
  return {
    clusterName: dc.spec.clusterName,
    datacenter: dc.spec.datacenterName || dc.metadata.name!,
    nodes: ordered.map((n) => ({ pod: n.pod, rack: n.rack, seed: n.seed })),
    stopped: dc.spec.stopped ?? false,
    config,
    additionalSeeds: dc.spec.additionalSeeds ?? [],
    superuser: credentials,
    createSuperuser: dc.metadata.annotations?.[SKIP_USER_CREATION_ANNOTATION] !== "true",
    heap,
  };
}
