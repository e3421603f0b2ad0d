import type { K8ssandraCluster } from "../../api/index.ts";
import { quantityValue } from "../../api/index.ts";
import { contextOf, datacentersOf } from "./desired.ts";
import { dcReplicationOf, INITIAL_SYSTEM_REPLICATION_ANNOTATION, parseInitialSystemReplication } from "./replication.ts";

export interface Validation {
  /** Problems only the user can fix: the spec is not reconciled until they are. */
  errors: string[];
  /** k8sContexts no ClientConfig provides yet: those datacenters wait, the others proceed. */
  unknownContexts: string[];
}

/** What the schema cannot check: relations between fields and the clusters this operator knows. */
export function validate(k8c: K8ssandraCluster, knownContext: (name: string) => boolean): Validation {
  const errors: string[] = [];
  const dcs = datacentersOf(k8c);
  const cassandra = k8c.spec.cassandra ?? {};
  if (!dcs.length) errors.push("spec.cassandra.datacenters must list at least one datacenter");
  const seen = new Map<string, number>();
  dcs.forEach((dc, i) => {
    const name = dc.metadata.name;
    if (seen.has(name)) errors.push(`spec.cassandra.datacenters[${i}]: datacenter name "${name}" is already used by datacenters[${seen.get(name)}]`);
    else seen.set(name, i);
    if (!(dc.size > 0)) errors.push(`spec.cassandra.datacenters[${i}].size must be greater than 0`);
    if (!(dc.serverVersion ?? cassandra.serverVersion)) {
      errors.push(`spec.cassandra.datacenters[${i}]: serverVersion is required (in spec.cassandra or the datacenter)`);
    }
    const jvm = { ...cassandra.config?.jvmOptions, ...dc.config?.jvmOptions } as Record<string, unknown>;
    for (const key of ["heapSize", "heap_initial_size", "heap_max_size"]) {
      if (jvm[key] === undefined) continue;
      try {
        quantityValue(jvm[key] as string);
      } catch (err) {
        errors.push(`spec.cassandra.datacenters[${i}].config.jvmOptions.${key}: ${(err as Error).message}`);
      }
    }
  });
  const initial = k8c.metadata.annotations?.[INITIAL_SYSTEM_REPLICATION_ANNOTATION];
  const initialError = initial === undefined ? undefined : parseInitialSystemReplication(initial).error;
  if (initialError) errors.push(initialError);
  const dcReplicationError = dcReplicationOf(k8c)?.error;
  if (dcReplicationError) errors.push(dcReplicationError);
  const unknownContexts = [...new Set(dcs.map(contextOf).filter((ctx) => ctx !== "" && !knownContext(ctx)))];
  return { errors, unknownContexts };
}
