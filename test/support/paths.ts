import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The real cass-operator CRDs, kept beside the repository in shared/ (OPERATOR_TS_SHARED_CRDS overrides). */
export function cassOperatorCRDs(): string {
  const dir = process.env.OPERATOR_TS_SHARED_CRDS
    ? join(process.env.OPERATOR_TS_SHARED_CRDS, "cass-operator")
    : join(repoRoot, "..", "shared", "crds", "cass-operator");
  if (!existsSync(dir)) {
    throw new Error(`cass-operator CRDs not found at ${dir}; set OPERATOR_TS_SHARED_CRDS to the shared/crds folder`);
  }
  return dir;
}
