import { isDeepStrictEqual } from "node:util";
import { type CustomValidator, field, type FieldError, fieldPath, type ValidationResult } from "@operator-ts/runtime/webhook";
import type { CassandraDatacenterTemplate, K8ssandraCluster } from "../api/index.ts";

export interface K8ssandraClusterValidatorOptions {
  /**
   * Why a k8sContext cannot be used now (no ClientConfig provides it, or the one that does is unusable); undefined
   * when it can. K8ssandra refuses such a K8ssandraCluster; here its datacenters wait, so the user is only warned.
   */
  contextProblem(context: string): string | undefined;
}

const DATACENTERS = fieldPath("spec", "cassandra", "datacenters");

function datacenters(k8c: K8ssandraCluster): CassandraDatacenterTemplate[] {
  return k8c.spec?.cassandra?.datacenters ?? [];
}

/** The datacenter's name inside Cassandra, which a running datacenter cannot change. */
function cassandraName(dc: CassandraDatacenterTemplate): string {
  return dc.datacenterName || dc.metadata.name;
}

/** What holds on create and update alike. */
function checkSpec(k8c: K8ssandraCluster, options: K8ssandraClusterValidatorOptions): Required<ValidationResult> {
  const errors: FieldError[] = [];
  const warnings: string[] = [];
  const clusterStorage = k8c.spec?.cassandra?.storageConfig !== undefined;
  const warned = new Set<string>();
  datacenters(k8c).forEach((dc, i) => {
    if (!clusterStorage && dc.storageConfig === undefined) {
      errors.push(field.required(DATACENTERS.index(i).child("storageConfig"), "storageConfig must be defined at cluster level or dc level"));
    }
    const context = dc.k8sContext ?? "";
    if (context === "" || warned.has(context)) return;
    const problem = options.contextProblem(context);
    if (problem === undefined) return;
    warned.add(context);
    warnings.push(`${DATACENTERS.index(i).child("k8sContext")}: ${problem}; datacenter ${dc.metadata.name} waits until a ClientConfig provides a usable cluster`);
  });
  return { errors, warnings };
}

/** What an update may not change: the Cassandra cluster's and datacenters' names, and the set of datacenters both ways at once. */
function checkUpdate(oldK: K8ssandraCluster, newK: K8ssandraCluster): FieldError[] {
  const errors: FieldError[] = [];
  const oldName = oldK.spec?.cassandra?.clusterName;
  const newName = newK.spec?.cassandra?.clusterName;
  // Compared as written, as K8ssandra compares it: the CRD's CEL rule refuses the same changes.
  if (oldName !== newName) errors.push(field.forbidden("spec.cassandra.clusterName", `cluster name can not be changed (from ${JSON.stringify(oldName ?? "")} to ${JSON.stringify(newName ?? "")})`));
  const before = new Map(datacenters(oldK).map((dc) => [dc.metadata.name, dc]));
  const after = new Set(datacenters(newK).map((dc) => dc.metadata.name));
  datacenters(newK).forEach((dc, i) => {
    const old = before.get(dc.metadata.name);
    if (old && cassandraName(old) !== cassandraName(dc)) {
      errors.push(field.forbidden(DATACENTERS.index(i).child("datacenterName"), `datacenter ${dc.metadata.name} cannot be renamed in Cassandra (it is "${cassandraName(old)}")`));
    }
  });
  const added = datacenters(newK).map((dc) => dc.metadata.name).filter((name) => !before.has(name));
  const removed = [...before.keys()].filter((name) => !after.has(name));
  if (added.length && removed.length) {
    errors.push(
      field.forbidden(
        DATACENTERS,
        `datacenters cannot be added and removed in one change (adding ${added.join(", ")}, removing ${removed.join(", ")}); ` +
          "a datacenter is renamed by adding the new one and, once it is ready, removing the old one",
      ),
    );
  }
  return errors;
}

/**
 * K8ssandra's validating webhook for K8ssandraCluster (its k8ssandracluster_webhook.go): storageConfig at the cluster
 * or the datacenter level, clusterName and datacenter names fixed, datacenters not added and removed in one update,
 * and unknown k8sContexts reported (as warnings: a datacenter whose cluster is missing waits here).
 */
export function k8ssandraClusterValidator(options: K8ssandraClusterValidatorOptions): CustomValidator<K8ssandraCluster> {
  return {
    validateCreate: (k8c) => checkSpec(k8c, options),
    validateUpdate(oldK, newK) {
      // Finalizers and labels change on objects stored before the webhook existed, and while they are deleted: only
      // a changed spec is judged, so that none is stuck.
      if (newK.metadata.deletionTimestamp || isDeepStrictEqual(oldK.spec, newK.spec)) return undefined;
      const { errors, warnings } = checkSpec(newK, options);
      return { errors: [...checkUpdate(oldK, newK), ...errors], warnings };
    },
  };
}
