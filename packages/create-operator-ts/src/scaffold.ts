import { existsSync, readdirSync } from "node:fs";
import { checkDomain, checkGroup, checkKind, checkProjectName, checkVersion, camel, lower, ScaffoldError } from "./names.ts";
import { editedFile, insertAtMarker, PROJECT_FILE, projectJson, readProject, type ResourceEntry, writeFiles } from "./project.ts";
import { type ApiNames, apiPaths, apiTypeTs, controllerTs, envtestTestTs, fakeTestTs, sampleYaml } from "./templates/api.ts";
import { initFiles } from "./templates/init.ts";
import { webhookTestTs, webhookTs } from "./templates/webhook.ts";
import { ownVersion } from "./versions.ts";

const SETUP = "src/setup.ts";

export interface InitProjectOptions {
  /** Package name, ClusterRole prefix and leader-election ID; defaults to the folder's name. */
  name: string;
  domain?: string;
  /** Version of @operator-ts/runtime (and of this scaffold) the project asks for; this package's own by default. */
  operatorTsVersion?: string;
  /** Dependency specs replacing the registry ranges, by package name (`file:` tarballs for a test, say). */
  dependencySpecs?: Record<string, string>;
  force?: boolean;
}

/** kubebuilder's `init`: a new project in dir (missing or empty). Returns the files written. */
export function initProject(dir: string, options: InitProjectOptions): string[] {
  const name = checkProjectName(options.name);
  const domain = checkDomain(options.domain ?? "example.com");
  if (!options.force && existsSync(dir) && readdirSync(dir).length) {
    throw new ScaffoldError(`${dir} is not empty; init makes a new project in a new or empty folder (or pass --force)`);
  }
  const files = initFiles({ name, domain, operatorTsVersion: options.operatorTsVersion ?? ownVersion(), dependencySpecs: options.dependencySpecs });
  return writeFiles(dir, files, { force: options.force });
}

export interface CreateApiOptions {
  group: string;
  version: string;
  kind: string;
  /** Write the type (default true); false when it exists and only a controller is wanted. */
  resource?: boolean;
  /** Write the controller and its tests (default true). */
  controller?: boolean;
  force?: boolean;
}

function apiNames(dir: string, o: { group: string; version: string; kind: string }) {
  const project = readProject(dir);
  const names: ApiNames = {
    group: checkGroup(o.group),
    apiGroup: `${o.group}.${project.domain}`,
    version: checkVersion(o.version),
    kind: checkKind(o.kind),
    projectName: project.projectName,
  };
  const entry = project.resources.find((r) => r.group === names.group && r.version === names.version && r.kind === names.kind);
  return { project, names, entry };
}

/** kubebuilder's `create api`: a custom resource type, its controller, a fake-client test and a real-API-server test. */
export function createApi(dir: string, options: CreateApiOptions): string[] {
  const { project, names, entry } = apiNames(dir, options);
  const resource = options.resource ?? true;
  const controller = options.controller ?? true;
  if (!resource && !controller) throw new ScaffoldError("nothing to create: --no-resource and --no-controller together leave nothing");
  if (resource && entry && !options.force) throw new ScaffoldError(`${names.kind} (${names.apiGroup}/${names.version}) exists in ${PROJECT_FILE} already`);
  if (!resource && !entry) throw new ScaffoldError(`${names.kind} (${names.apiGroup}/${names.version}) is not in ${PROJECT_FILE}: a controller needs its type; leave out --no-resource`);
  const clash = project.resources.find((r) => r.kind === names.kind && r.version === names.version && r.group !== names.group);
  if (clash) throw new ScaffoldError(`${names.kind} ${names.version} exists in group ${clash.group} already; files are per version and kind, so pick another kind`);

  const paths = apiPaths(names);
  const files = new Map<string, string>();
  if (resource) {
    files.set(paths.api, apiTypeTs(names));
    files.set(`config/samples/${names.group}_${names.version}_${lower(names.kind)}.yaml`, sampleYaml(names));
  }
  if (controller) {
    files.set(paths.controller, controllerTs(names));
    files.set(paths.test, fakeTestTs(names));
    files.set(paths.envtest, envtestTestTs(names));
  }
  const k = names.kind;
  const fromSrc = (path: string) => `./${path.slice("src/".length)}`;
  const setup = editedFile(dir, SETUP, (source) => {
    let s = source;
    if (resource) {
      s = insertAtMarker(s, "+operator-ts:scaffold:imports", `import { ${k} } from "${fromSrc(paths.api)}";`, SETUP);
      s = insertAtMarker(s, "+operator-ts:scaffold:apis", `${k},`, SETUP);
    }
    if (controller) {
      s = insertAtMarker(s, "+operator-ts:scaffold:imports", `import { setup${k}Controller, ${camel(k)}Permissions } from "${fromSrc(paths.controller)}";`, SETUP);
      s = insertAtMarker(s, "+operator-ts:scaffold:permissions", `${camel(k)}Permissions,`, SETUP);
      s = insertAtMarker(s, "+operator-ts:scaffold:controllers", `await setup${k}Controller(mgr);`, SETUP);
    }
    return s;
  });
  const updated: ResourceEntry = entry ? { ...entry, controller: entry.controller || controller } : { group: names.group, version: names.version, kind: k, controller };
  project.resources = [...project.resources.filter((r) => r !== entry), updated];
  const written = writeFiles(dir, files, { force: options.force });
  writeFiles(dir, new Map([[SETUP, setup], [PROJECT_FILE, projectJson(project)]]), { force: true });
  return written;
}

export interface CreateWebhookOptions {
  group: string;
  version: string;
  kind: string;
  /** A mutating webhook setting defaults (kubebuilder's --defaulting). */
  defaulting?: boolean;
  /** A validating webhook (kubebuilder's --programmatic-validation). */
  validation?: boolean;
  force?: boolean;
}

/** kubebuilder's `create webhook`: a defaulting and/or validating webhook for a kind of this project, and its test. */
export function createWebhook(dir: string, options: CreateWebhookOptions): string[] {
  const { project, names, entry } = apiNames(dir, options);
  const kinds = { defaulting: options.defaulting ?? false, validation: options.validation ?? false };
  if (!kinds.defaulting && !kinds.validation) {
    throw new ScaffoldError("say which webhooks: --defaulting, --programmatic-validation or both (conversion webhooks come from defineCustomResource's hub and spokes)");
  }
  if (!entry) throw new ScaffoldError(`${names.kind} (${names.apiGroup}/${names.version}) is not in ${PROJECT_FILE}; run create api for it first`);
  if (entry.webhooks && !options.force) throw new ScaffoldError(`${names.kind} has webhooks already (${PROJECT_FILE}); pass --force to write them again`);
  const paths = apiPaths(names);
  const setup = editedFile(dir, SETUP, (source) => {
    const s = insertAtMarker(source, "+operator-ts:scaffold:imports", `import { setup${names.kind}Webhook } from "./${paths.webhook.slice("src/".length)}";`, SETUP);
    return insertAtMarker(s, "+operator-ts:scaffold:webhooks", `setup${names.kind}Webhook,`, SETUP);
  });
  entry.webhooks = kinds;
  const written = writeFiles(dir, new Map([[paths.webhook, webhookTs(names, kinds)], [paths.webhookTest, webhookTestTs(names, kinds)]]), { force: options.force });
  writeFiles(dir, new Map([[SETUP, setup], [PROJECT_FILE, projectJson(project)]]), { force: true });
  return written;
}
