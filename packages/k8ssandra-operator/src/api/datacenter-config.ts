import { isNotFound, type Reader, Secret } from "@operator-ts/runtime";
import { type CassandraDatacenter, type CassandraDatacenterConfig, CONFIG_SECRET_KEY } from "./cassandradatacenter.ts";

/**
 * A CassandraDatacenter's configuration in any of the forms it is found in: an object (the fake client, or an older
 * CRD), JSON (the configSecret's data), or base64 JSON (spec.config as the real CRD stores it, `format: byte`).
 * Undefined when it is none of these.
 */
export function parseDatacenterConfig(config: unknown): CassandraDatacenterConfig | undefined {
  if (typeof config === "string") {
    try {
      const text = /^\s*\{/.test(config) ? config : Buffer.from(config, "base64").toString("utf8");
      config = JSON.parse(text);
    } catch {
      return undefined;
    }
  }
  return config && typeof config === "object" && !Array.isArray(config) ? (config as CassandraDatacenterConfig) : undefined;
}

/**
 * The configuration a CassandraDatacenter runs with: spec.config, else the Secret spec.configSecret names (read with
 * the given reader, uncached: watching every Secret of a cluster for this one would cost more than it saves).
 * Undefined when it has none, or its Secret is missing or unreadable as a configuration.
 */
export async function readDatacenterConfig(reader: Reader, dc: CassandraDatacenter): Promise<CassandraDatacenterConfig | undefined> {
  if (dc.spec.config) return parseDatacenterConfig(dc.spec.config);
  if (!dc.spec.configSecret) return undefined;
  try {
    const secret = await reader.get(Secret, { namespace: dc.metadata.namespace, name: dc.spec.configSecret });
    const data = secret.data?.[CONFIG_SECRET_KEY];
    return data ? parseDatacenterConfig(Buffer.from(data, "base64").toString("utf8")) : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
