#!/usr/bin/env node
// operator-ts-preflight: is each cluster reachable, are the CRDs served, are the permissions granted?
//   operator-ts-preflight --kubeconfig FILE [--context NAME]... [--crd PLURAL.GROUP]... [--can VERB:RESOURCE[.GROUP][:NAMESPACE]]...
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { KubeConfig } from "@kubernetes/client-node";
import { formatPreflightTable, type PermissionRequirement, preflight, type PreflightTarget } from "./index.ts";

export function parsePermission(spec: string): PermissionRequirement {
  const [verb, resourceGroup, namespace] = spec.split(":");
  if (!verb || !resourceGroup) throw new Error(`--can ${spec}: expected VERB:RESOURCE[.GROUP][:NAMESPACE]`);
  const dot = resourceGroup.indexOf(".");
  const resource = dot < 0 ? resourceGroup : resourceGroup.slice(0, dot);
  const group = dot < 0 ? "" : resourceGroup.slice(dot + 1);
  const [res, subresource] = resource.split("/");
  return { verb, resource: res!, subresource, group, namespace: namespace || undefined };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kubeconfig: { type: "string" },
      context: { type: "string", multiple: true },
      crd: { type: "string", multiple: true },
      can: { type: "string", multiple: true },
      timeout: { type: "string", default: "10000" },
    },
  });
  const base = new KubeConfig();
  if (values.kubeconfig) base.loadFromFile(values.kubeconfig);
  else base.loadFromDefault();
  const contexts = values.context?.length ? values.context : [base.getCurrentContext()];
  const targets: PreflightTarget[] = contexts.map((name) => {
    const kc = new KubeConfig();
    kc.loadFromString(base.exportConfig());
    kc.setCurrentContext(name);
    return { name, kubeconfig: kc };
  });
  const results = await preflight(targets, { crds: values.crd, permissions: values.can?.map(parsePermission) }, Number(values.timeout));
  process.stdout.write(`${formatPreflightTable(results)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

// Run only as a program (npm's bin links are symlinks, hence realpath), not when imported for parsePermission.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`preflight: ${err.message}\n`);
      process.exitCode = 2;
    },
  );
}
