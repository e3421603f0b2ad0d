import { mkdir, rm, symlink } from "node:fs/promises";
import { join } from "node:path";
import { type AssetOptions, type Assets, cacheRoot, ensureAssets } from "./assets.ts";

export interface PrepareOptions extends Omit<AssetOptions, "withControllerManager"> {
  /** Prepare kube-controller-manager too (garbage collection, Deployments); default true. */
  controllerManager?: boolean;
}

/**
 * Finds or builds the test kit's binaries, with progress on stderr, before any test runs: a first build takes
 * minutes, longer than any test hook's timeout. Run it from a global setup (below), or once by hand with
 * `npx operator-ts-envtest setup`. Returns the folder KUBEBUILDER_ASSETS can name, holding every binary.
 */
export async function prepareEnvtest(options: PrepareOptions = {}): Promise<Assets & { dir: string }> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = Date.now();
  const assets = await ensureAssets({ ...options, log, withControllerManager: options.controllerManager ?? true });
  const dir = await assetsFolder(assets, options.cacheDir);
  log(`envtest: Kubernetes ${assets.kubernetesVersion} binaries ready in ${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return { ...assets, dir };
}

/** One folder with every binary, as setup-envtest lays it out, so that KUBEBUILDER_ASSETS=<folder> works. */
export async function assetsFolder(assets: Assets, cacheDir?: string): Promise<string> {
  const dir = join(cacheDir ?? cacheRoot(), "envtest", `assets-${assets.kubernetesVersion}`);
  await mkdir(dir, { recursive: true });
  const links: [string, string | undefined][] = [
    ["kube-apiserver", assets.kubeApiserver],
    ["etcd", assets.etcd],
    ["kube-controller-manager", assets.kubeControllerManager],
  ];
  for (const [name, target] of links) {
    if (!target || target === join(dir, name)) continue;
    await rm(join(dir, name), { force: true });
    await symlink(target, join(dir, name));
  }
  return dir;
}

/**
 * A ready global setup. vitest: `globalSetup: ["@operator-ts/runtime/envtest/setup"]` in vitest.config.ts (it runs
 * once, before the workers, outside any hook timeout). node:test: `node --test
 * --test-global-setup=node_modules/@operator-ts/runtime/dist/envtest/setup.js` (Node >= 24), or `await
 * prepareEnvtest()` at the top of a test file.
 */
export async function setup(): Promise<void> {
  await prepareEnvtest();
}

/** node:test's name for it (`--test-global-setup`). */
export const globalSetup = setup;

export default setup;
