// The webhook configurations for config/webhook/manifests.yaml, what controller-gen writes from kubebuilder's
// markers: `npm run generate` writes them, and a test fails when the file is stale.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Reader } from "@operator-ts/runtime";
import { stringify } from "yaml";
import { webhookConfigurations, webhookDefinitions, webhookManagedBy, WebhookServer } from "@operator-ts/runtime/webhook";
import { Memcached } from "./api.ts";
import { memcachedDefaulter, memcachedValidator } from "./webhooks.ts";

/** kubebuilder's config/webhook/service.yaml names, before kustomize prefixes them. */
export const WEBHOOK_SERVICE = { namespace: "system", name: "webhook-service" };

/** The manifests describe the webhooks, never call them: a validator built on this reader is only registered. */
const unused: Reader = {
  get: () => Promise.reject(new Error("not for reading")),
  list: () => Promise.reject(new Error("not for reading")),
};

function configurations() {
  // A server that never starts: registering on it yields the definitions the manifests describe.
  const server = new WebhookServer();
  webhookManagedBy(undefined, server).for(Memcached).withDefaulter(memcachedDefaulter).withValidator(memcachedValidator(unused)).complete();
  const { validating, mutating } = webhookConfigurations(webhookDefinitions(server), { namePrefix: "memcached", service: WEBHOOK_SERVICE });
  return { validating: validating!, mutating: mutating! };
}

export const WEBHOOK_CONFIGURATIONS = configurations();

export function manifestsYaml(): string {
  return [WEBHOOK_CONFIGURATIONS.mutating, WEBHOOK_CONFIGURATIONS.validating].map((c) => `---\n${stringify(c, { lineWidth: 0 })}`).join("");
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL("../config/webhook/manifests.yaml", import.meta.url), manifestsYaml());
}
