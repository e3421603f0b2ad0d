// What the image's bundle gets for `@kubernetes/client-node` (tsup.bundle.config.ts): the few parts the operator and
// the packages it builds on call. The package's index re-exports its generated API clients, Watch, Exec, Attach,
// PortForward and caches, whose module-level code a bundler must keep (ws, tar-fs and more came with them). A name
// missing here fails the bundle's build, never a run.
export { KubeConfig } from "@kubernetes/client-node/dist/config.js";
export { dumpYaml, loadAllYaml, loadYaml } from "@kubernetes/client-node/dist/yaml.js";
