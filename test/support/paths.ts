import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The CRDs of the cass-operator kinds the operator writes, generated from its own types: in every clone. */
export const shippedCassOperatorCRDs = join(repoRoot, "packages", "k8ssandra-operator", "config", "cass-operator-crd");

/** `<dir>/cass-operator` when dir is given; an error when it was given and holds no such folder. */
function cassOperatorIn(dir: string | undefined, variable: string): string | undefined {
  if (!dir) return undefined;
  const path = join(dir, "cass-operator");
  if (!existsSync(path)) throw new Error(`${variable}=${dir}, but ${path} does not exist`);
  return path;
}

/**
 * cass-operator's own CRDs, the reference: from OPERATOR_TS_SHARED_CRDS when set, else from shared/crds beside the
 * repository (this project's CI has them there); undefined in a clone with nothing beside it.
 */
export function realCassOperatorCRDs(): string | undefined {
  const beside = join(repoRoot, "..", "shared", "crds", "cass-operator");
  return cassOperatorIn(process.env.OPERATOR_TS_SHARED_CRDS, "OPERATOR_TS_SHARED_CRDS") ?? (existsSync(beside) ? beside : undefined);
}

/** The CRDs tests install for CassandraDatacenter and CassandraTask: cass-operator's own when present, else the shipped ones. */
export function cassOperatorCRDs(): string {
  return realCassOperatorCRDs() ?? shippedCassOperatorCRDs;
}

/**
 * The reference CRDs for the contract test: OPERATOR_TS_REFERENCE_CRDS (what CI sets for a clone that has nothing
 * beside it), else the real ones the other tests would use.
 */
export function referenceCassOperatorCRDs(): string | undefined {
  return cassOperatorIn(process.env.OPERATOR_TS_REFERENCE_CRDS, "OPERATOR_TS_REFERENCE_CRDS") ?? realCassOperatorCRDs();
}
