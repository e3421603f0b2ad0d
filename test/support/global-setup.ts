import { ensureAssets } from "@operator-ts/runtime/envtest";

// Build (or find) the Kubernetes binaries once, before any worker starts, so that parallel workers never race to
// build them and a cold machine shows the build's progress in one place.
export default async function setup(): Promise<void> {
  const assets = await ensureAssets({ withControllerManager: true });
  process.stderr.write(`envtest: Kubernetes ${assets.kubernetesVersion} binaries ready\n`);
}
