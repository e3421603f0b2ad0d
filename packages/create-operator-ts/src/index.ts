/**
 * create-operator-ts: kubebuilder's init, create api and create webhook for operators on @operator-ts/runtime, as
 * functions (the CLI, `npm create operator-ts`, calls them).
 */
export { ScaffoldError } from "./names.ts";
export { PROJECT_FILE, type ProjectFile, type ResourceEntry, readProject } from "./project.ts";
export { createApi, type CreateApiOptions, createWebhook, type CreateWebhookOptions, initProject, type InitProjectOptions } from "./scaffold.ts";
export { toolVersions } from "./versions.ts";
