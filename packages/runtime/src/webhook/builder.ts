import { parseApiVersion } from "../api/meta.ts";
import type { KubeObject, ResourceType } from "../api/object.ts";
import type { Manager } from "../manager/manager.ts";
import type { Logger } from "../log/index.ts";
import type { CustomResourceType } from "../crd/define.ts";
import { ConversionWebhook } from "./conversion.ts";
import { type CustomDefaulter, type CustomValidator, defaultingHandler, validatingHandler } from "./custom.ts";
import type { WebhookDefinition } from "./manifests.ts";
import { admissionWebhook, WebhookServer, type WebhookServerOptions } from "./server.ts";

const servers = new WeakMap<Manager, WebhookServer>();

/**
 * The manager's webhook server (controller-runtime's mgr.GetWebhookServer()), made and added to the manager on first
 * call, with a "webhook" readiness check. Options are taken only by the call that makes it.
 */
export function getWebhookServer(mgr: Manager, options?: WebhookServerOptions): WebhookServer {
  let server = servers.get(mgr);
  if (server) {
    if (options) throw new Error("the manager's webhook server exists already; pass its options on the first call");
    return server;
  }
  server = new WebhookServer({ log: mgr.log, ...options });
  servers.set(mgr, server);
  mgr.addReadyzCheck("webhook", server.startedChecker());
  // add() only refuses a manager that is shutting down; then nothing will serve, which the log says.
  mgr.add(server).catch((err: unknown) => mgr.log.error({ err }, "webhook server not added"));
  return server;
}

const definitionsByServer = new WeakMap<WebhookServer, WebhookDefinition[]>();

/** What the builder registered on a server: the input of webhookConfigurations() and of envtest's install. */
export function webhookDefinitions(server: WebhookServer): readonly WebhookDefinition[] {
  return definitionsByServer.get(server) ?? [];
}

const conversions = new WeakMap<WebhookServer, ConversionWebhook>();

/** The server's conversion webhook on /convert, registered on first use. */
export function conversionWebhookFor(server: WebhookServer): ConversionWebhook {
  let hook = conversions.get(server);
  if (!hook) {
    hook = new ConversionWebhook();
    server.register("/convert", hook);
    conversions.set(server, hook);
  }
  return hook;
}

type AnyVersion = CustomResourceType<{ apiVersion: string; kind: string }>;

function addDefinition(server: WebhookServer, definition: WebhookDefinition): void {
  const list = definitionsByServer.get(server) ?? [];
  list.push(definition);
  definitionsByServer.set(server, list);
}

/** controller-runtime's generateMutatePath/generateValidatePath: `/mutate-cache-example-com-v1alpha1-memcached`. */
export function webhookPath(kind: "mutate" | "validate", type: { apiVersion: string; kind: string }): string {
  const { group, version } = parseApiVersion(type.apiVersion);
  return `/${kind}-${group.replace(/\./g, "-")}${group ? "-" : ""}${version}-${type.kind.toLowerCase()}`;
}

interface Typed {
  mapping?: { resource: string; namespaced: boolean };
}

/**
 * controller-runtime's WebhookBuilder: `webhookManagedBy(mgr).for(Memcached).withDefaulter(d).withValidator(v)
 * .complete()` serves a mutating webhook on /mutate-<group>-<version>-<kind> and a validating one on
 * /validate-<group>-<version>-<kind> of the manager's webhook server.
 */
export class WebhookBuilder<T extends KubeObject = KubeObject> {
  private readonly mgr: Manager | undefined;
  private server: WebhookServer | undefined;
  private type: ResourceType<T> | undefined;
  private defaulter: CustomDefaulter<T> | undefined;
  private validator: CustomValidator<T> | undefined;
  private resource: { resource: string; namespaced: boolean } | undefined;
  private log: Logger | undefined;
  private paths: { mutate?: string; validate?: string } = {};
  private otherVersions: AnyVersion[] = [];

  constructor(mgr: Manager | undefined, server?: WebhookServer) {
    this.mgr = mgr;
    this.server = server;
    this.log = mgr?.log;
  }

  for<U extends KubeObject>(type: ResourceType<U>): WebhookBuilder<U> {
    if (this.type) throw new Error("for() may be called only once");
    const self = this as unknown as WebhookBuilder<U>;
    self.type = type;
    return self;
  }

  withDefaulter(defaulter: CustomDefaulter<T>): this {
    this.defaulter = defaulter;
    return this;
  }

  withValidator(validator: CustomValidator<T>): this {
    this.validator = validator;
    return this;
  }

  /** The resource name and scope, for kinds that are not defineCustomResource types (which carry their own). */
  withResource(resource: string, options: { namespaced: boolean }): this {
    this.resource = { resource, namespaced: options.namespaced };
    return this;
  }

  /**
   * The kind's other versions, served converted by the webhook on /convert (the for() type must be one of them or
   * their hub). In Go the scheme knows them; here they are named.
   */
  withConversion(...versions: AnyVersion[]): this {
    this.otherVersions.push(...versions);
    return this;
  }

  withDefaulterCustomPath(path: string): this {
    this.paths.mutate = path;
    return this;
  }

  withValidatorCustomPath(path: string): this {
    this.paths.validate = path;
    return this;
  }

  /** Registers the webhooks; returns the paths they are served on. */
  complete(): { mutatePath?: string; validatePath?: string; convertPath?: string } {
    const type = this.type;
    if (!type) throw new Error("webhookManagedBy(...).complete() needs for(Kind) first");
    const convertible = (type as Partial<AnyVersion>).hub === true || (type as Partial<AnyVersion>).conversion !== undefined;
    if (!this.defaulter && !this.validator && !convertible) {
      throw new Error(`webhook for ${type.kind} has neither a defaulter, a validator nor a conversion`);
    }
    const server = this.server ?? (this.mgr ? getWebhookServer(this.mgr) : undefined);
    if (!server) throw new Error("webhookManagedBy needs a manager or a server");
    const out: { mutatePath?: string; validatePath?: string; convertPath?: string } = {};
    if (convertible) {
      conversionWebhookFor(server).add(type as unknown as AnyVersion, ...this.otherVersions);
      out.convertPath = "/convert";
    } else if (this.otherVersions.length) {
      throw new Error(`withConversion: ${type.kind} ${type.apiVersion} is neither a hub nor convertible`);
    }
    if (!this.defaulter && !this.validator) return out;
    const mapping = this.resource ?? (type as Typed).mapping;
    if (!mapping) throw new Error(`webhook for ${type.kind}: call withResource(plural, { namespaced }) for a kind that is not a defined custom resource`);
    const { group, version } = parseApiVersion(type.apiVersion);
    const base = { group, version, kind: type.kind, resource: mapping.resource, namespaced: mapping.namespaced };
    const log = this.log?.child({ webhook: type.kind });
    if (this.defaulter) {
      const path = this.paths.mutate ?? webhookPath("mutate", type);
      server.register(path, admissionWebhook(defaultingHandler(this.defaulter, { log }), { log }));
      addDefinition(server, { ...base, type: "mutating", path, operations: ["CREATE", "UPDATE"] });
      out.mutatePath = path;
    }
    if (this.validator) {
      const path = this.paths.validate ?? webhookPath("validate", type);
      server.register(path, admissionWebhook(validatingHandler(this.validator, { log }), { log }));
      const operations: ("CREATE" | "UPDATE" | "DELETE")[] = ["CREATE", "UPDATE"];
      if (this.validator.validateDelete) operations.push("DELETE");
      addDefinition(server, { ...base, type: "validating", path, operations });
      out.validatePath = path;
    }
    return out;
  }
}

/** `webhookManagedBy(mgr)` serves on the manager's webhook server; `webhookManagedBy(undefined, server)` on another. */
export function webhookManagedBy(mgr: Manager | undefined, server?: WebhookServer): WebhookBuilder {
  return new WebhookBuilder(mgr, server);
}
