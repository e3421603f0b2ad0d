import { KubeConfig } from "@kubernetes/client-node";

/**
 * A kubeconfig from a file (else $KUBECONFIG, ~/.kube/config or the pod's service account), at the context asked
 * for (else its current one). Errors name the file and the context, never their contents.
 */
export function loadKubeConfig(file?: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  const where = file ?? "the default kubeconfig";
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromDefault();
  } catch (err) {
    throw new Error(`cannot load ${where}: ${(err as Error).message}`);
  }
  if (context) {
    if (!kc.getContextObject(context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new Error(`context "${context}" is not in ${where}${known.length ? ` (it has: ${known.join(", ")})` : ""}`);
    }
    kc.setCurrentContext(context);
  }
  if (!kc.getCurrentCluster()) {
    throw new Error(`${where} has no cluster for context "${kc.getCurrentContext() || "(none)"}"`);
  }
  return kc;
}

/** The same kubeconfig at another of its contexts. */
export function withContext(kc: KubeConfig, context: string): KubeConfig {
  const copy = new KubeConfig();
  copy.loadFromString(kc.exportConfig());
  if (!copy.getContextObject(context)) throw new Error(`context "${context}" is not in the kubeconfig`);
  copy.setCurrentContext(context);
  return copy;
}
