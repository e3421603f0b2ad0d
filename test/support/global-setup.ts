import { prepareEnvtest } from "@operator-ts/runtime/envtest";

// Build (or find) the Kubernetes binaries once, before any worker starts, so that parallel workers never race to
// build them and a cold machine shows the build's progress in one place. A user's project does the same with
// `globalSetup: ["@operator-ts/runtime/envtest/setup"]`.
export default async function setup(): Promise<void> {
  await prepareEnvtest({ controllerManager: true });
}
