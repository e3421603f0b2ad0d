import type { MutatingWebhookConfiguration, ValidatingWebhookConfiguration } from "../api/kinds.ts";

/** One registered admission webhook, as controller-gen's `+kubebuilder:webhook` marker describes it. */
export interface WebhookDefinition {
  type: "validating" | "mutating";
  path: string;
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
  operations: ("CREATE" | "UPDATE" | "DELETE" | "CONNECT")[];
}

export interface WebhookConfigurationOptions {
  /** The names of the two configurations; defaults to `<prefix>-validating-webhook-configuration` and `-mutating-`. */
  namePrefix?: string;
  /** Where the API server calls: the webhook Service (in a cluster) ... */
  service?: { namespace: string; name: string; port?: number };
  /** ... or a base URL, such as https://127.0.0.1:9443 for a test process on loopback. */
  url?: string;
  /** PEM of the CA to trust; often written later by the CertRotator. */
  caBundle?: string;
  failurePolicy?: "Fail" | "Ignore";
  timeoutSeconds?: number;
}

/** The webhook's name in its configuration, which the API server quotes when it refuses a request. */
export function webhookName(d: Pick<WebhookDefinition, "type" | "kind" | "version" | "group">): string {
  // controller-gen wants a qualified name; kubebuilder scaffolds "vmemcached.kb.io", here the group stands in.
  return `${d.type === "validating" ? "v" : "m"}${d.kind.toLowerCase()}-${d.version}.${d.group || "core.k8s.io"}`;
}

/**
 * The ValidatingWebhookConfiguration and MutatingWebhookConfiguration for a set of webhooks (what controller-gen
 * writes into config/webhook/manifests.yaml); absent when there is no webhook of that type.
 */
export function webhookConfigurations(
  definitions: readonly WebhookDefinition[],
  options: WebhookConfigurationOptions,
): { validating?: ValidatingWebhookConfiguration; mutating?: MutatingWebhookConfiguration } {
  if (!options.service === !options.url) throw new Error("webhookConfigurations needs exactly one of service and url");
  const prefix = options.namePrefix ?? "webhook";
  const clientConfig = (path: string) => ({
    ...(options.service
      ? { service: { namespace: options.service.namespace, name: options.service.name, path, port: options.service.port ?? 443 } }
      : { url: `${options.url!.replace(/\/$/, "")}${path}` }),
    ...(options.caBundle ? { caBundle: Buffer.from(options.caBundle).toString("base64") } : {}),
  });
  const entry = (d: WebhookDefinition) => ({
    name: webhookName(d),
    admissionReviewVersions: ["v1"],
    sideEffects: "None",
    failurePolicy: options.failurePolicy ?? "Fail",
    timeoutSeconds: options.timeoutSeconds ?? 10,
    clientConfig: clientConfig(d.path),
    rules: [
      {
        apiGroups: [d.group],
        apiVersions: [d.version],
        operations: d.operations,
        resources: [d.resource],
        scope: d.namespaced ? "Namespaced" : "Cluster",
      },
    ],
  });
  const validating = definitions.filter((d) => d.type === "validating");
  const mutating = definitions.filter((d) => d.type === "mutating");
  return {
    ...(validating.length
      ? {
          validating: {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "ValidatingWebhookConfiguration",
            metadata: { name: `${prefix}-validating-webhook-configuration` },
            webhooks: validating.map(entry),
          },
        }
      : {}),
    ...(mutating.length
      ? {
          mutating: {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "MutatingWebhookConfiguration",
            metadata: { name: `${prefix}-mutating-webhook-configuration` },
            webhooks: mutating.map((d) => ({ ...entry(d), reinvocationPolicy: "Never" })),
          },
        }
      : {}),
  };
}
