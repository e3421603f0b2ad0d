import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { describeCredential, renewalDueAt, withToken } from "../src/index.ts";

/** An unsigned JWT with these claims: describeCredential reads claims, the API server checks signatures. */
function jwt(claims: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(claims)}.c2lnbmF0dXJl`;
}

function kubeconfig(user: Record<string, unknown>): { text: string; kc: KubeConfig } {
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "clusters: [{ name: c, cluster: { server: 'https://127.0.0.1:6443' } }]",
    "contexts: [{ name: east, context: { cluster: c, user: u } }, { name: other, context: { cluster: c, user: v } }]",
    "current-context: east",
    `users: [{ name: u, user: ${JSON.stringify(user)} }, { name: v, user: { token: keep-me } }]`,
  ].join("\n");
  const kc = new KubeConfig();
  kc.loadFromString(text);
  return { text, kc };
}

describe("credentials of a kubeconfig", () => {
  it("reads a service-account token's expiry and account, and when to renew it", () => {
    const token = jwt({ iat: 1000, exp: 1600, "kubernetes.io": { namespace: "ns", serviceaccount: { name: "sa" } } });
    const info = describeCredential(kubeconfig({ token }).kc);
    expect(info).toEqual({ kind: "token", issuedAt: new Date(1000_000), expiresAt: new Date(1600_000), serviceAccount: { namespace: "ns", name: "sa" } });
    expect(renewalDueAt(info, 0.8)).toEqual(new Date(1480_000));
  });

  it("names other kinds without an account to renew", () => {
    expect(describeCredential(kubeconfig({ token: "opaque" }).kc)).toEqual({ kind: "token" });
    expect(describeCredential(kubeconfig({ exec: { command: "gke-gcloud-auth-plugin", apiVersion: "client.authentication.k8s.io/v1beta1" } }).kc).kind).toBe("exec");
    expect(describeCredential(kubeconfig({ username: "a", password: "b" }).kc).kind).toBe("basic");
    expect(renewalDueAt(describeCredential(kubeconfig({ token: "opaque" }).kc), 0.8)).toBeUndefined();
  });

  it("replaces the current context's token and nothing else", () => {
    const { text } = kubeconfig({ token: "old-token" });
    const next = new KubeConfig();
    next.loadFromString(withToken(text, "east", "new-token"));
    expect(next.getCurrentUser()?.token).toBe("new-token");
    expect(next.getCurrentContext()).toBe("east");
    expect(next.getUser("v")?.token).toBe("keep-me");
    expect(() => withToken(text, "missing", "t")).toThrow(/no user for context "missing"/);
  });
});
