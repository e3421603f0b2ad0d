import { readFileSync } from "node:fs";
import { dumpYaml, KubeConfig } from "@kubernetes/client-node";
import {
  ClusterRole,
  ClusterRoleBinding,
  controllerutil,
  isNotFound,
  Namespace,
  RestClient,
  Role,
  RoleBinding,
  Secret,
  ServiceAccount,
} from "@operator-ts/runtime";
import { ClientConfig, KUBECONFIG_SECRET_KEY } from "../api/index.ts";
import { CLIENTCONFIG_CLUSTER_RULES, CLIENTCONFIG_NAMESPACE_RULES, tokenRenewalRules } from "./rbac.ts";

export const DEFAULT_NAMESPACE = "k8ssandra-operator";
export const DEFAULT_SERVICE_ACCOUNT = "k8ssandra-operator";
/**
 * An hour: the control-plane operator renews the token itself before it expires (it may ask for its own successor), so
 * a leaked copy is worth little for long, and a control plane that is gone leaves nothing valid behind.
 */
export const DEFAULT_TOKEN_DURATION_SECONDS = 3600;

const LABELS = {
  "app.kubernetes.io/name": "k8ssandra-operator",
  "app.kubernetes.io/part-of": "k8ssandra",
  "app.kubernetes.io/managed-by": "k8ssandra-operator-create-clientconfig",
};

export interface CreateClientConfigOptions {
  /** The data-plane cluster, at the context to register. */
  src: KubeConfig;
  /** The control plane, where the ClientConfig and its Secret go. */
  dest: KubeConfig;
  /** The ServiceAccount's namespace in the data plane and the ClientConfig's in the control plane; default k8ssandra-operator. */
  namespace?: string;
  /** Default k8ssandra-operator. */
  serviceAccount?: string;
  /** The name K8ssandraClusters use in k8sContext; default the src context's name. */
  contextName?: string;
  /** Lifetime asked of the TokenRequest API (the API server may grant less; its minimum is 10 minutes); default one hour. */
  tokenDurationSeconds?: number;
  /** The data plane's API server URL as the control plane reaches it, when it differs from the src kubeconfig's. */
  server?: string;
  /** Namespaces of the data plane where datacenters (and so their replicated Secrets) live; default [namespace]. */
  datacenterNamespaces?: string[];
  /** Told each step as it is done; never given a credential. */
  report?: (line: string) => void;
}

export interface CreateClientConfigResult {
  contextName: string;
  namespace: string;
  clientConfigName: string;
  secretName: string;
  serviceAccount: string;
  /** When the minted token expires, as the API server says. */
  tokenExpiresAt?: string;
  /** What was done, one line each (what the CLI prints). */
  actions: string[];
}

/** A Kubernetes object name from a kubeconfig context name (contexts may hold "_", "@", ":" and capitals). */
export function objectNameFor(contextName: string): string {
  const name = contextName.toLowerCase().replace(/[^a-z0-9.-]+/g, "-").replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  if (!name) throw new Error(`context name "${contextName}" gives no usable object name`);
  return name.slice(0, 246);
}

/**
 * K8ssandra's create-clientconfig, done properly: in the data plane a ServiceAccount with exactly the permissions the
 * control plane needs there and a token from the TokenRequest API; in the control plane a Secret holding a kubeconfig
 * for that identity and a ClientConfig naming it. Running it again rotates the token; the operator picks the new
 * Secret up while it runs.
 */
export async function createClientConfig(options: CreateClientConfigOptions): Promise<CreateClientConfigResult> {
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  const serviceAccount = options.serviceAccount ?? DEFAULT_SERVICE_ACCOUNT;
  const contextName = options.contextName ?? options.src.getCurrentContext();
  if (!contextName) throw new Error("no context name: pass one, or use a src kubeconfig with a current context");
  const objectName = objectNameFor(contextName);
  const secretName = `${objectName}-config`;
  const dcNamespaces = [...new Set(options.datacenterNamespaces?.length ? options.datacenterNamespaces : [namespace])];
  const actions: string[] = [];
  const say = (line: string) => {
    actions.push(line);
    options.report?.(line);
  };
  const srcName = `data plane (${options.src.getCurrentContext()})`;
  const destName = `control plane (${options.dest.getCurrentContext()})`;

  const src = await RestClient.fromKubeConfig(options.src, { userAgent: "k8ssandra-operator-create-clientconfig" });
  let kubeconfigYaml: string;
  let tokenExpiresAt: string | undefined;
  try {
    for (const ns of new Set([namespace, ...dcNamespaces])) say(`${srcName}: Namespace ${ns} ${await ensureNamespace(src, ns)}`);
    const sa: ServiceAccount = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: serviceAccount, namespace } };
    say(`${srcName}: ServiceAccount ${namespace}/${serviceAccount} ${await controllerutil.createOrUpdate(src, sa, (o) => {
      o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
    })}`);
    const subject = { kind: "ServiceAccount", name: serviceAccount, namespace };
    const clusterName = `${namespace}-${serviceAccount}-clientconfig`;
    const cr: ClusterRole = { apiVersion: ClusterRole.apiVersion, kind: ClusterRole.kind, metadata: { name: clusterName } };
    say(`${srcName}: ClusterRole ${clusterName} ${await controllerutil.createOrUpdate(src, cr, (o) => {
      o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
      o.rules = CLIENTCONFIG_CLUSTER_RULES;
    })}`);
    const crb: ClusterRoleBinding = {
      apiVersion: ClusterRoleBinding.apiVersion,
      kind: ClusterRoleBinding.kind,
      metadata: { name: clusterName },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterName },
    };
    say(`${srcName}: ClusterRoleBinding ${clusterName} ${await controllerutil.createOrUpdate(src, crb, (o) => {
      o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
      o.subjects = [subject];
    })}`);
    const renewalName = `${serviceAccount}-token-renewal`;
    const renewal: Role = { apiVersion: Role.apiVersion, kind: Role.kind, metadata: { name: renewalName, namespace } };
    say(`${srcName}: Role ${namespace}/${renewalName} ${await controllerutil.createOrUpdate(src, renewal, (o) => {
      o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
      o.rules = tokenRenewalRules(serviceAccount);
    })}`);
    const renewalBinding: RoleBinding = {
      apiVersion: RoleBinding.apiVersion,
      kind: RoleBinding.kind,
      metadata: { name: renewalName, namespace },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: renewalName },
    };
    say(`${srcName}: RoleBinding ${namespace}/${renewalName} ${await controllerutil.createOrUpdate(src, renewalBinding, (o) => {
      o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
      o.subjects = [subject];
    })}`);
    const roleName = `${serviceAccount}-clientconfig`;
    for (const ns of dcNamespaces) {
      const role: Role = { apiVersion: Role.apiVersion, kind: Role.kind, metadata: { name: roleName, namespace: ns } };
      say(`${srcName}: Role ${ns}/${roleName} ${await controllerutil.createOrUpdate(src, role, (o) => {
        o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
        o.rules = CLIENTCONFIG_NAMESPACE_RULES;
      })}`);
      const binding: RoleBinding = {
        apiVersion: RoleBinding.apiVersion,
        kind: RoleBinding.kind,
        metadata: { name: roleName, namespace: ns },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName },
      };
      say(`${srcName}: RoleBinding ${ns}/${roleName} ${await controllerutil.createOrUpdate(src, binding, (o) => {
        o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
        o.subjects = [subject];
      })}`);
    }

    const review = await src.transport.request<{ status: { token: string; expirationTimestamp?: string } }>(
      "POST",
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/serviceaccounts/${encodeURIComponent(serviceAccount)}/token`,
      {
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: options.tokenDurationSeconds ?? DEFAULT_TOKEN_DURATION_SECONDS },
        },
      },
    );
    tokenExpiresAt = review.status.expirationTimestamp;
    say(`${srcName}: token minted for system:serviceaccount:${namespace}:${serviceAccount}${tokenExpiresAt ? `, valid until ${tokenExpiresAt}` : ""}`);
    kubeconfigYaml = buildKubeconfig(options.src, contextName, `${contextName}-${serviceAccount}`, review.status.token, namespace, options.server);
  } finally {
    await src.close();
  }
  // RBAC takes a moment to reach the API server's authorizer: register the cluster only once its identity is allowed
  // what the control plane will do there, so the operator never starts on a credential that is refused.
  await waitUntilAllowed(kubeconfigYaml, dcNamespaces, namespace, serviceAccount);
  say(`${srcName}: the new identity holds its permissions`);

  const dest = await RestClient.fromKubeConfig(options.dest, { userAgent: "k8ssandra-operator-create-clientconfig" });
  try {
    say(`${destName}: Namespace ${namespace} ${await ensureNamespace(dest, namespace)}`);
    const secret: Secret = { apiVersion: "v1", kind: "Secret", metadata: { name: secretName, namespace } };
    say(`${destName}: Secret ${namespace}/${secretName} ${await controllerutil.createOrUpdate(dest, secret, (o) => {
      o.metadata = { ...o.metadata, labels: { ...o.metadata?.labels, ...LABELS } };
      o.type ??= "Opaque";
      o.data = { ...o.data, [KUBECONFIG_SECRET_KEY]: Buffer.from(kubeconfigYaml).toString("base64") };
    })}`);
    const cc: ClientConfig = {
      apiVersion: ClientConfig.apiVersion,
      kind: ClientConfig.kind,
      metadata: { name: objectName, namespace },
      spec: { kubeConfigSecret: { name: secretName } },
    };
    say(`${destName}: ClientConfig ${namespace}/${objectName} (context ${contextName}) ${await controllerutil.createOrUpdate(dest, cc, (o) => {
      o.metadata = { ...o.metadata, labels: { ...o.metadata.labels, ...LABELS } };
      o.spec = { contextName, kubeConfigSecret: { name: secretName } };
    })}`);
  } finally {
    await dest.close();
  }
  return { contextName, namespace, clientConfigName: objectName, secretName, serviceAccount, tokenExpiresAt, actions };
}

async function waitUntilAllowed(kubeconfigYaml: string, namespaces: string[], saNamespace: string, serviceAccount: string, timeoutMs = 20_000): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml);
  const client = await RestClient.fromKubeConfig(kc, { userAgent: "k8ssandra-operator-create-clientconfig" });
  const checks: Record<string, string>[] = [
    { verb: "list", group: "cassandra.datastax.com", resource: "cassandradatacenters" },
    { verb: "create", group: "", resource: "serviceaccounts", subresource: "token", name: serviceAccount, namespace: saNamespace },
    ...namespaces.map((namespace) => ({ verb: "get", group: "", resource: "secrets", namespace })),
  ];
  try {
    const deadline = Date.now() + timeoutMs;
    for (const attributes of checks) {
      for (;;) {
        const review = await client.transport.request<{ status: { allowed: boolean } }>("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", {
          body: { apiVersion: "authorization.k8s.io/v1", kind: "SelfSubjectAccessReview", spec: { resourceAttributes: attributes } },
        });
        if (review.status.allowed) break;
        if (Date.now() > deadline) {
          const what = attributes.subresource ? `${attributes.resource}/${attributes.subresource}` : attributes.resource;
          throw new Error(`the new service account is still not allowed to ${attributes.verb} ${what} after ${timeoutMs / 1000}s`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } finally {
    await client.close();
  }
}

async function ensureNamespace(client: RestClient, name: string): Promise<"created" | "exists"> {
  try {
    await client.get(Namespace, { name });
    return "exists";
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await client.create<Namespace>({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  return "created";
}

/** One cluster, one user, one context: the data plane's address and CA from src, the minted token. */
function buildKubeconfig(src: KubeConfig, contextName: string, user: string, token: string, namespace: string, server?: string): string {
  const cluster = src.getCurrentCluster()!;
  let caData = cluster.caData;
  if (!caData && cluster.caFile) caData = readFileSync(cluster.caFile).toString("base64");
  const clusterEntry: Record<string, unknown> = { server: server ?? cluster.server };
  if (caData) clusterEntry["certificate-authority-data"] = caData;
  if (cluster.skipTLSVerify) clusterEntry["insecure-skip-tls-verify"] = true;
  if (cluster.tlsServerName) clusterEntry["tls-server-name"] = cluster.tlsServerName;
  return dumpYaml({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: contextName, cluster: clusterEntry }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: contextName, context: { cluster: contextName, user, namespace } }],
    "current-context": contextName,
  });
}
