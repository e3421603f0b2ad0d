import { readFileSync } from "node:fs";
import { X509Certificate } from "node:crypto";
import { dumpYaml, type KubeConfig, loadYaml } from "@kubernetes/client-node";
import { Gauge } from "prom-client";
import { metrics, type RestTransport } from "@operator-ts/runtime";

/** What authenticates a kubeconfig's current user. */
export type CredentialKind = "token" | "token-file" | "exec" | "auth-provider" | "client-certificate" | "basic" | "none";

/** A kubeconfig's credential as status shows it: never the credential itself. */
export interface CredentialInfo {
  kind: CredentialKind;
  /** When it stops working, when that can be read from it (a JWT's exp, a certificate's notAfter). */
  expiresAt?: Date;
  /** When it was issued (a JWT's iat, a certificate's notBefore): with expiresAt, its lifetime. */
  issuedAt?: Date;
  /** A service-account token from the TokenRequest API, which can ask for its own successor. */
  serviceAccount?: { namespace: string; name: string };
}

export const credentialExpiryGauge = new Gauge({
  name: "multicluster_credential_expiry_timestamp_seconds",
  help: "When the credential a cluster is reached with expires (Unix seconds), for clusters whose credential says so.",
  labelNames: ["cluster"] as const,
  registers: [metrics.registry],
});

interface JwtClaims {
  exp?: number;
  iat?: number;
  "kubernetes.io"?: { namespace?: string; serviceaccount?: { name?: string } };
}

/** A JWT's claims, read without verifying it (the API server does that); undefined for an opaque token. */
function jwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as unknown;
    return claims && typeof claims === "object" ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

function certificate(data: string | undefined, file: string | undefined): X509Certificate | undefined {
  try {
    if (data) return new X509Certificate(Buffer.from(data, "base64"));
    if (file) return new X509Certificate(readFileSync(file));
  } catch {
    // Unreadable: the connection will say why; the status just lacks an expiry.
  }
  return undefined;
}

/** The kind of the kubeconfig's current credential and what it tells about its lifetime. */
export function describeCredential(kubeconfig: KubeConfig): CredentialInfo {
  const user = kubeconfig.getCurrentUser();
  if (!user) return { kind: "none" };
  if (user.exec) return { kind: "exec" };
  if (user.authProvider) return { kind: "auth-provider" };
  if (user.token) {
    const claims = jwtClaims(user.token);
    const info: CredentialInfo = { kind: "token" };
    if (typeof claims?.exp === "number") info.expiresAt = new Date(claims.exp * 1000);
    if (typeof claims?.iat === "number") info.issuedAt = new Date(claims.iat * 1000);
    const k8s = claims?.["kubernetes.io"];
    if (k8s?.namespace && k8s.serviceaccount?.name && info.expiresAt) {
      info.serviceAccount = { namespace: k8s.namespace, name: k8s.serviceaccount.name };
    }
    return info;
  }
  if ((user as { tokenFile?: string }).tokenFile) return { kind: "token-file" };
  if (user.certData || user.certFile) {
    const cert = certificate(user.certData, user.certFile);
    return {
      kind: "client-certificate",
      ...(cert ? { expiresAt: new Date(cert.validTo), issuedAt: new Date(cert.validFrom) } : {}),
    };
  }
  if (user.username) return { kind: "basic" };
  return { kind: "none" };
}

/** When to renew a credential: once `share` of its lifetime has passed. Undefined when it cannot be renewed here. */
export function renewalDueAt(info: CredentialInfo, share: number): Date | undefined {
  if (!info.serviceAccount || !info.expiresAt) return undefined;
  const issued = info.issuedAt?.getTime() ?? Date.now();
  return new Date(issued + (info.expiresAt.getTime() - issued) * share);
}

/**
 * A new token for the service account a token belongs to, asked of the remote cluster with that token itself (the
 * account may create tokens for itself only): the same lifetime as the old one unless told otherwise.
 */
export async function requestServiceAccountToken(
  transport: RestTransport,
  info: CredentialInfo,
  signal?: AbortSignal,
): Promise<{ token: string; expiresAt?: Date }> {
  const sa = info.serviceAccount;
  if (!sa || !info.expiresAt) throw new Error("the credential is not a service-account token with an expiry");
  const lifetime = Math.round((info.expiresAt.getTime() - (info.issuedAt?.getTime() ?? Date.now())) / 1000);
  const review = await transport.request<{ status: { token: string; expirationTimestamp?: string } }>(
    "POST",
    `/api/v1/namespaces/${encodeURIComponent(sa.namespace)}/serviceaccounts/${encodeURIComponent(sa.name)}/token`,
    {
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        // The API server's minimum is 10 minutes.
        spec: { expirationSeconds: Math.max(600, lifetime) },
      },
      signal,
    },
  );
  const expiresAt = review.status.expirationTimestamp ? new Date(review.status.expirationTimestamp) : undefined;
  return { token: review.status.token, expiresAt };
}

/**
 * The kubeconfig document with the token of the user of `context` replaced, everything else as it was (other
 * contexts, comments aside): what is written back into the Secret.
 */
export function withToken(kubeconfigText: string, context: string, token: string): string {
  const doc = loadYaml<{
    contexts?: { name: string; context?: { user?: string } }[];
    users?: { name: string; user?: Record<string, unknown> }[];
  }>(kubeconfigText);
  const userName = doc.contexts?.find((c) => c.name === context)?.context?.user;
  const entry = doc.users?.find((u) => u.name === userName);
  if (!entry) throw new Error(`the kubeconfig has no user for context "${context}"`);
  entry.user = { ...entry.user, token };
  return dumpYaml(doc);
}
