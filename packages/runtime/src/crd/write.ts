import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ConversionWebhookOptions, type CustomResourceType, customResourceDefinition, crdToYaml } from "./define.ts";

type AnyCustomResourceType = CustomResourceType<{ apiVersion: string; kind: string }>;

/**
 * The CRD files for a set of definitions, by file name (`<group>_<plural>.yaml`, as controller-gen names them).
 * Versions of one kind are gathered into one CRD.
 */
export function crdFiles(defs: Iterable<AnyCustomResourceType>, options: CRDFileOptions = {}): Map<string, string> {
  const byCRD = new Map<string, AnyCustomResourceType[]>();
  for (const def of defs) {
    const file = `${def.group}_${def.names.plural}.yaml`;
    const versions = byCRD.get(file) ?? [];
    if (!versions.includes(def)) versions.push(def);
    byCRD.set(file, versions);
  }
  const files = new Map<string, string>();
  for (const [file, versions] of [...byCRD].sort(([a], [b]) => a.localeCompare(b))) {
    files.set(file, crdToYaml(customResourceDefinition(versions, options)));
  }
  return files;
}

export interface CRDFileOptions {
  /** Where converting CRDs send ConversionReviews; kubebuilder's system/webhook-service by default. */
  conversionWebhook?: ConversionWebhookOptions;
}

/** Writes the CRD files for the definitions into dir (created if missing) and returns their paths. */
export async function writeCRDs(dir: string, defs: Iterable<AnyCustomResourceType>, options: CRDFileOptions = {}): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [file, yaml] of crdFiles(defs, options)) {
    const path = join(dir, file);
    await writeFile(path, yaml);
    written.push(path);
  }
  return written;
}

/** The CRD files in dir that are missing or differ from what the definitions generate: for a CI check. */
export async function staleCRDs(dir: string, defs: Iterable<AnyCustomResourceType>, options: CRDFileOptions = {}): Promise<string[]> {
  const stale: string[] = [];
  for (const [file, yaml] of crdFiles(defs, options)) {
    const path = join(dir, file);
    const current = await readFile(path, "utf8").catch(() => undefined);
    if (current !== yaml) stale.push(path);
  }
  return stale;
}

/** Whether a value is a definition made by defineCustomResource: what the CLI looks for among a module's exports. */
export function isCustomResourceType(value: unknown): value is AnyCustomResourceType {
  const v = value as Partial<AnyCustomResourceType> | null;
  return typeof v === "object" && v !== null && typeof v.crd === "function" && typeof v.definition === "object" && typeof v.names === "object";
}
