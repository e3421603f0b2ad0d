import { camel, lower } from "../names.ts";
import type { ApiNames } from "./api.ts";

export interface WebhookKinds {
  defaulting: boolean;
  validation: boolean;
}

export function webhookTs(n: ApiNames, w: WebhookKinds): string {
  const k = n.kind;
  const c = camel(k);
  const imports = [
    ...(w.defaulting ? ["type CustomDefaulter"] : []),
    ...(w.validation ? ["type CustomValidator", "field", "type FieldError"] : []),
    "webhookManagedBy",
    "type WebhookServer",
  ];
  const parts: string[] = [];
  if (w.defaulting) {
    parts.push(`export const DEFAULT_FOO = "bar";

/** Sets what a ${k} leaves out, before validation and before it is stored (kubebuilder's Default()). */
export const ${c}Defaulter: CustomDefaulter<${k}> = {
  default(${c}) {
    ${c}.spec.foo ??= DEFAULT_FOO;
  },
};`);
  }
  if (w.validation) {
    parts.push(`/** Refuses a ${k} that breaks a rule the schema cannot say; each error names the field and the rule. */
function check(${c}: ${k}): { errors: FieldError[] } {
  const foo = ${c}.spec.foo;
  if (foo !== undefined && foo !== foo.toLowerCase()) return { errors: [field.invalid("spec.foo", foo, "must be lowercase")] };
  return { errors: [] };
}

export const ${c}Validator: CustomValidator<${k}> = {
  validateCreate: check,
  validateUpdate: (_old, ${c}) => check(${c}),
};`);
  }
  const chain = [`.for(${k})`, ...(w.defaulting ? [`.withDefaulter(${c}Defaulter)`] : []), ...(w.validation ? [`.withValidator(${c}Validator)`] : [])].join("");
  return `import type { Manager } from "@operator-ts/runtime";
import { ${imports.join(", ")} } from "@operator-ts/runtime/webhook";
import { ${k} } from "../api/${n.version}/${lower(k)}.ts";

${parts.join("\n\n")}

/** Serves the webhooks on the manager's webhook server, or registers them on server (for the manifests). */
export function setup${k}Webhook(mgr: Manager | undefined, server?: WebhookServer) {
  return webhookManagedBy(mgr, server)${chain}.complete();
}
`;
}

export function webhookTestTs(n: ApiNames, w: WebhookKinds): string {
  const k = n.kind;
  const c = camel(k);
  const l = lower(k);
  const hooks = [...(w.defaulting ? [`defaulter: ${c}Defaulter`] : []), ...(w.validation ? [`validator: ${c}Validator`] : [])].join(", ");
  const names = [...(w.defaulting ? ["DEFAULT_FOO", `${c}Defaulter`] : []), ...(w.validation ? [`${c}Validator`] : []), `setup${k}Webhook`].join(", ");
  const fakeChecks = [
    ...(w.defaulting ? [`    expect((await client.create(${c}("plain"))).spec.foo).toBe(DEFAULT_FOO);`] : []),
    ...(w.validation ? [`    expect(await refusal(client.create(${c}("upper", "Bar")))).toContain("spec.foo: Invalid value: \\"Bar\\": must be lowercase");`] : []),
  ].join("\n");
  const realChecks = [
    ...(w.defaulting ? [`  it("defaults spec.foo on create", async () => {
    expect((await mgr.client.create(${c}("plain"))).spec.foo).toBe(DEFAULT_FOO);
  });`] : []),
    ...(w.validation ? [`  it("refuses a spec.foo that is not lowercase, naming the field and the rule", async () => {
    expect(await refusal(mgr.client.create(${c}("upper", "Bar")))).toContain("spec.foo: Invalid value: \\"Bar\\": must be lowercase");
  });`] : []),
  ].join("\n\n");
  // A probe the webhooks answer once they serve: a refusal when there is a validator, a defaulted field otherwise.
  const probe = w.validation
    ? `(await refusal(mgr.client.create(${c}("probe", "Probe"), { dryRun: true }))).includes("denied")`
    : `(await mgr.client.create(${c}("probe"), { dryRun: true })).spec.foo === DEFAULT_FOO`;
  return `import { fileURLToPath } from "node:url";
import { type ApiError, Manager } from "@operator-ts/runtime";
import { eventually, startCluster, type TestCluster } from "@operator-ts/runtime/envtest";
import { FakeClientBuilder } from "@operator-ts/runtime/fake";
import { getWebhookServer } from "@operator-ts/runtime/webhook";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ${k} } from "../src/api/${n.version}/${l}.ts";
import { ${names} } from "../src/webhooks/${l}.ts";

const crdDir = fileURLToPath(new URL("../config/crd", import.meta.url));
const webhookDir = fileURLToPath(new URL("../config/webhook", import.meta.url));

const ${c} = (name: string, foo?: string): ${k} => ({
  apiVersion: ${k}.apiVersion,
  kind: ${k}.kind,
  metadata: { name, namespace: "default" },
  spec: foo === undefined ? {} : { foo },
});

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "accepted",
    (err: ApiError) => err.message,
  );

describe("${k} webhooks through the fake client", () => {
  it("${[w.defaulting ? "default" : "", w.validation ? "validate" : ""].filter(Boolean).join(" and ")} as the API server would call them", async () => {
    const client = new FakeClientBuilder().withKind(${k}, { namespaced: true }).withWebhooks(${k}, { ${hooks} }).build();
${fakeChecks}
  });
});

describe("${k} webhooks called by a real API server", () => {
  let cluster: TestCluster;
  let mgr: Manager;
  const stop = new AbortController();
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    cluster = await startCluster({ name: "${l}-webhooks", crds: [crdDir], webhooks: true });
    mgr = await Manager.create({ kubeconfig: cluster.kubeconfig });
    getWebhookServer(mgr, cluster.webhooks.serverOptions());
    setup${k}Webhook(mgr);
    // The generated config/webhook/manifests.yaml, pointed at this process on loopback.
    await cluster.installWebhooks({ paths: [webhookDir] });
    running = mgr.start(stop.signal);
    await eventually(async () => ${probe}, "the webhooks served");
  });

  afterAll(async () => {
    stop.abort();
    await running;
    await cluster?.stop();
  });

${realChecks}
});
`;
}
