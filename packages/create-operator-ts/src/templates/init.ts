import { type ProjectFile, PROJECT_FILE, projectJson } from "../project.ts";
import { toolVersions } from "../versions.ts";

export interface InitOptions {
  name: string;
  domain: string;
  /** Version range of @operator-ts/runtime and create-operator-ts; the scaffold's own version by default. */
  operatorTsVersion: string;
  /** Dependency specs replacing the registry ranges (`file:` tarballs, say), by package name. */
  dependencySpecs?: Record<string, string>;
}

/** The files of a new project: kubebuilder's `init` layout in TypeScript, npm scripts for its Makefile targets. */
export function initFiles(options: InitOptions): Map<string, string> {
  const { name, domain } = options;
  const spec = (pkg: string, range: string) => options.dependencySpecs?.[pkg] ?? range;
  const operatorTs = `^${options.operatorTsVersion}`;
  const project: ProjectFile = { version: 1, projectName: name, domain, resources: [] };
  const files = new Map<string, string>();

  files.set(
    "package.json",
    `${JSON.stringify(
      {
        name,
        version: "0.1.0",
        private: true,
        description: `${name}: a Kubernetes operator on @operator-ts/runtime`,
        type: "module",
        engines: { node: "^22.19.0 || >=24.0.0" },
        scripts: {
          // kubebuilder's Makefile targets, each the same name.
          build: "tsc -p tsconfig.build.json",
          test: "npm run manifests && vitest run",
          run: "node src/main.ts",
          manifests: "node src/manifests.ts",
          // kubebuilder's generate writes DeepCopy methods, which plain objects do not need; the code generated
          // here is the YAML of manifests, so generate is that.
          generate: "node src/manifests.ts",
          typecheck: "tsc -p tsconfig.json",
          "verify-manifests": "node src/manifests.ts --check",
          start: "node dist/main.js",
          "setup-envtest": "operator-ts-envtest setup",
        },
        dependencies: {
          "@kubernetes/client-node": spec("@kubernetes/client-node", toolVersions["@kubernetes/client-node"]),
          "@operator-ts/runtime": spec("@operator-ts/runtime", operatorTs),
          yaml: spec("yaml", toolVersions.yaml),
        },
        devDependencies: {
          "@types/node": spec("@types/node", toolVersions["@types/node"]),
          "@types/ws": spec("@types/ws", toolVersions["@types/ws"]),
          "create-operator-ts": spec("create-operator-ts", operatorTs),
          typescript: spec("typescript", toolVersions.typescript),
          vitest: spec("vitest", toolVersions.vitest),
        },
      },
      null,
      2,
    )}\n`,
  );

  files.set(
    "tsconfig.json",
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2023",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          types: ["node"],
          strict: true,
          noUncheckedIndexedAccess: true,
          noImplicitOverride: true,
          verbatimModuleSyntax: true,
          // Node runs the sources as they are (type stripping): no enums, namespaces or parameter properties.
          erasableSyntaxOnly: true,
          allowImportingTsExtensions: true,
          rewriteRelativeImportExtensions: true,
          skipLibCheck: false,
          noEmit: true,
          outDir: "dist",
        },
        include: ["src", "test", "vitest.config.ts"],
      },
      null,
      2,
    )}\n`,
  );
  files.set(
    "tsconfig.build.json",
    `${JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { noEmit: false, rootDir: "src", sourceMap: true }, include: ["src"] }, null, 2)}\n`,
  );

  files.set(
    "vitest.config.ts",
    `import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Finds (KUBEBUILDER_ASSETS, the cache) or builds kube-apiserver and etcd once, with progress, before any test's
    // hook timeout starts.
    globalSetup: ["@operator-ts/runtime/envtest/setup"],
    // Operators log JSON lines at info; tests keep warnings and errors unless LOG_LEVEL asks for more.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? "warn" },
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
`,
  );
  files.set(PROJECT_FILE, projectJson(project));
  files.set(".gitignore", "node_modules/\ndist/\n.envtest/\n");

  files.set(
    "src/setup.ts",
    `// What this operator is made of. \`npx operator-ts create api\` and \`create webhook\` add lines at the
// +operator-ts:scaffold markers: keep them.
import type { Manager, rbac } from "@operator-ts/runtime";
import type { CustomResourceType } from "@operator-ts/runtime/crd";
import type { WebhookServer } from "@operator-ts/runtime/webhook";
// +operator-ts:scaffold:imports

export const PROJECT_NAME = ${JSON.stringify(name)};
export const DOMAIN = ${JSON.stringify(domain)};

/** The custom resources this operator defines: \`npm run manifests\` writes their CRDs to config/crd. */
export const apis: CustomResourceType<{ apiVersion: string; kind: string }>[] = [
  // +operator-ts:scaffold:apis
];

/**
 * What each controller reads, watches and writes: \`npm run manifests\` turns them into config/rbac/role.yaml, and the
 * real-API-server tests run the controllers with exactly that role, so a missing permission fails a test.
 */
export const permissions: rbac.ControllerPermissions[] = [
  // +operator-ts:scaffold:permissions
];

export async function setupControllers(mgr: Manager): Promise<void> {
  // +operator-ts:scaffold:controllers
}

/** Registers webhooks on the manager's webhook server, or on the given server (how the manifests describe them). */
export type WebhookSetup = (mgr: Manager | undefined, server?: WebhookServer) => unknown;

export const webhooks: WebhookSetup[] = [
  // +operator-ts:scaffold:webhooks
];
`,
  );

  files.set("src/main.ts", mainTs());
  files.set("src/manifests.ts", manifestsTs());
  files.set("README.md", readme(name));
  return files;
}

function mainTs(): string {
  return `// The operator. \`npm run run -- --kubeconfig ~/.kube/config --log-format pretty\` runs it from the sources against a
// cluster (kubebuilder's make run); \`npm run build && npm start\` runs the build. \`--help\` lists the flags.
import { log, Manager, parseStandardFlags, setupSignalHandler } from "@operator-ts/runtime";
import { getWebhookServer } from "@operator-ts/runtime/webhook";
import { DOMAIN, PROJECT_NAME, setupControllers, webhooks } from "./setup.ts";

// --kubeconfig, --context, --metrics-bind-address, --health-probe-bind-address, --leader-elect, --log-level and
// --log-format (json, or pretty for a terminal), with kubebuilder's defaults; then this operator's own.
const flags = parseStandardFlags({
  flags: {
    "webhook-port": { type: "string", default: "9443", description: "port the webhook server listens on" },
    "webhook-cert-dir": { type: "string", description: "folder of tls.crt and tls.key (cert-manager mounts them), reloaded when they change" },
  },
});

const mgr = await Manager.create({ ...flags.managerOptions, leaderElectionID: \`\${PROJECT_NAME}.\${DOMAIN}\` });
mgr.addHealthzCheck("ping", () => {});
mgr.addReadyzCheck("ping", () => {});
await setupControllers(mgr);
// As kubebuilder's main.go: webhooks are served unless ENABLE_WEBHOOKS=false (running outside the cluster, say).
if (webhooks.length && process.env.ENABLE_WEBHOOKS !== "false") {
  const certDir = flags.values["webhook-cert-dir"];
  getWebhookServer(mgr, { port: Number(flags.values["webhook-port"]), ...(certDir ? { certDir } : {}) });
  for (const setup of webhooks) setup(mgr);
}

log.getLogger().info("starting manager");
await mgr.start(setupSignalHandler());
`;
}

function manifestsTs(): string {
  return `// \`npm run manifests\` (kubebuilder's make manifests): the CRDs, RBAC and webhook configurations under config/, all
// generated from the code. With --check nothing is written and the exit code is 1 when a file is out of date.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { rbac } from "@operator-ts/runtime";
import { crdFiles } from "@operator-ts/runtime/crd";
import { webhookConfigurations, webhookDefinitions, WebhookServer } from "@operator-ts/runtime/webhook";
import { stringify } from "yaml";
import { apis, permissions, PROJECT_NAME, webhooks } from "./setup.ts";

/** Where the operator runs, and kubebuilder's names for its service account and webhook service there. */
export const NAMESPACE = \`\${PROJECT_NAME}-system\`;
export const SERVICE_ACCOUNT = \`\${PROJECT_NAME}-controller-manager\`;
export const WEBHOOK_SERVICE = { namespace: NAMESPACE, name: \`\${PROJECT_NAME}-webhook-service\` };

/** The operator's ClusterRole: the least privilege its controllers declare in setup.ts's permissions. */
export function managerRole(): rbac.ClusterRoleObject {
  return rbac.clusterRole(\`\${PROJECT_NAME}-manager-role\`, rbac.mergeRules(...permissions.map((p) => rbac.controllerRules(p))));
}

function yamlOf(objects: object[]): string {
  return objects.map((o) => \`---\\n\${stringify(o, { lineWidth: 0 })}\`).join("");
}

/** Every generated file, by its path in the project. */
export function manifestFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [file, yaml] of crdFiles(apis)) files.set(\`config/crd/\${file}\`, yaml);
  const role = managerRole();
  const leaderElection = rbac.leaderElectionRole(\`\${PROJECT_NAME}-leader-election-role\`, NAMESPACE);
  const subject = { kind: "ServiceAccount", name: SERVICE_ACCOUNT, namespace: NAMESPACE };
  files.set("config/rbac/role.yaml", rbac.rbacYaml([role]));
  files.set("config/rbac/leader_election_role.yaml", rbac.rbacYaml([leaderElection]));
  files.set(
    "config/rbac/role_binding.yaml",
    yamlOf([
      { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: SERVICE_ACCOUNT, namespace: NAMESPACE } },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "ClusterRoleBinding",
        metadata: { name: \`\${PROJECT_NAME}-manager-rolebinding\` },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
        subjects: [subject],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: \`\${PROJECT_NAME}-leader-election-rolebinding\`, namespace: NAMESPACE },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: leaderElection.metadata.name },
        subjects: [subject],
      },
    ]),
  );
  if (webhooks.length) {
    // A server that never starts: registering on it yields the definitions the configurations describe.
    const server = new WebhookServer();
    for (const setup of webhooks) setup(undefined, server);
    const { mutating, validating } = webhookConfigurations(webhookDefinitions(server), { namePrefix: PROJECT_NAME, service: WEBHOOK_SERVICE });
    files.set("config/webhook/manifests.yaml", yamlOf([mutating, validating].filter((c) => c !== undefined)));
  }
  return files;
}

/** The generated files that are missing or differ from what the code generates. */
export function staleManifests(projectDir: string): string[] {
  return [...manifestFiles()].filter(([file, yaml]) => {
    const path = join(projectDir, file);
    return !existsSync(path) || readFileSync(path, "utf8") !== yaml;
  }).map(([file]) => file);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const projectDir = fileURLToPath(new URL("..", import.meta.url));
  if (process.argv.includes("--check")) {
    const stale = staleManifests(projectDir);
    for (const file of stale) process.stderr.write(\`out of date: \${file} (run npm run manifests)\\n\`);
    process.exitCode = stale.length ? 1 : 0;
  } else {
    for (const [file, yaml] of manifestFiles()) {
      const path = join(projectDir, file);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, yaml);
      process.stdout.write(\`\${file}\\n\`);
    }
  }
}
`;
}

function readme(name: string): string {
  return `# ${name}

A Kubernetes operator on [@operator-ts/runtime](https://www.npmjs.com/package/@operator-ts/runtime), scaffolded by
create-operator-ts.

| command | what it does (kubebuilder's make target) |
| --- | --- |
| \`npx operator-ts create api --group <g> --version v1 --kind <Kind>\` | a custom resource, its controller and tests |
| \`npx operator-ts create webhook --group <g> --version v1 --kind <Kind> --defaulting --programmatic-validation\` | its admission webhooks |
| \`npm run manifests\` | config/crd, config/rbac (least privilege, from setup.ts's permissions), config/webhook |
| \`npm test\` | manifests, then the tests: fake-client unit tests and real-API-server tests (envtest) |
| \`npm run run -- --kubeconfig ~/.kube/config\` | runs the operator from the sources against a cluster |
| \`npm run build\`, \`npm start\` | compiles to dist/ and runs that |
| \`npm run typecheck\` | strict TypeScript over sources and tests |

The real-API-server tests start kube-apiserver and etcd on loopback. The first run finds them through
\`KUBEBUILDER_ASSETS\` (a folder of envtest binaries, e.g. from setup-envtest) or builds them with Go into
\`~/.cache/operator-ts/envtest\` (\`npm run setup-envtest\` does it ahead of time, with progress).
\`npx operator-ts-envtest start\` starts a cluster by hand and prints its kubeconfig, for \`npm run run -- --kubeconfig\`.

Flags of the operator (\`npm run run -- --help\`): \`--kubeconfig\`, \`--context\`, \`--metrics-bind-address\` (:8080),
\`--health-probe-bind-address\` (:8081), \`--leader-elect\`, \`--log-level\` (trace, debug, info, warn, error; or
\`LOG_LEVEL\`), \`--log-format\` (json, or pretty for reading in a terminal; or \`LOG_FORMAT\`), \`--webhook-port\`,
\`--webhook-cert-dir\`.
`;
}
