import type { Static, TSchema } from "@sinclair/typebox";
import { stringify } from "yaml";
import type { ObjectMeta, ResourceType } from "../api/object.ts";
import type { RESTMapping } from "../client/restmapper.ts";
import { type JSONSchemaProps, StructuralSchemaError, toStructural } from "./schema.ts";

export interface PrinterColumn {
  name: string;
  type: "integer" | "number" | "string" | "boolean" | "date";
  jsonPath: string;
  description?: string;
  format?: string;
  /** 0 shows in `kubectl get`; more only with `-o wide`. */
  priority?: number;
}

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface CustomResourceOptions<Spec extends TSchema, Status extends TSchema | undefined> {
  group: string;
  version: string;
  kind: string;
  scope: "Namespaced" | "Cluster";
  /** Lowercase plural as in URLs; defaults to the kind lowercased with English plural rules ("Policy" -> "policies"). */
  plural?: string;
  singular?: string;
  listKind?: string;
  shortNames?: string[];
  categories?: string[];
  /** Describes the kind: the description of the top-level schema, shown by `kubectl explain`. */
  description?: string;
  spec: Spec;
  status?: Status;
  printerColumns?: PrinterColumn[];
  /** The status subresource is on whenever a status schema is given, unless `status: false`. */
  subresources?: { status?: boolean; scale?: ScaleSubresource };
  /** JSON paths of fields that field selectors may use (`.spec.color`). */
  selectableFields?: string[];
  served?: boolean;
  /** Which version etcd stores; needed only when several versions make one CRD. */
  storage?: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /**
   * This version is the hub of its kind's conversions (controller-runtime's Hub): every other version converts to
   * and from it, and the CRD's conversion strategy becomes Webhook.
   */
  hub?: boolean;
}

/**
 * How a spoke version converts to and from its hub (controller-runtime's Convertible ConvertTo/ConvertFrom). Each
 * function gets a copy it may change and returns the object in the other version; metadata is kept as it came unless
 * the function sets labels or annotations.
 */
export interface SpokeConversion<Self, Hub> {
  hub: CustomResourceType<Hub & { apiVersion: string; kind: string }>;
  toHub(obj: Self): Hub;
  fromHub(hub: Hub): Self;
}

/** Where the API server sends ConversionReviews: kubebuilder's config/webhook Service, by default. */
export interface ConversionWebhookOptions {
  service?: { namespace: string; name: string; path?: string; port?: number };
  url?: string;
  /** PEM; usually written later by the CertRotator. */
  caBundle?: string;
}

export const DEFAULT_CONVERSION_SERVICE = { namespace: "system", name: "webhook-service", path: "/convert", port: 443 } as const;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The object type of a custom resource with these spec and status schemas. */
export type CustomResourceObject<Spec extends TSchema, Status extends TSchema | undefined> = Simplify<
  { apiVersion: string; kind: string; metadata: ObjectMeta; spec: Static<Spec> } & ([Status] extends [TSchema]
    ? { status?: Static<Status> }
    : unknown)
>;

/** The object type of a defined custom resource (or of any ResourceType): `CustomResource<typeof Foo>`. */
export type CustomResource<D> = D extends ResourceType<infer T> ? T : never;

export interface CustomResourceNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames?: string[];
  categories?: string[];
}

export interface CustomResourceDefinitionVersion {
  name: string;
  served: boolean;
  storage: boolean;
  deprecated?: boolean;
  deprecationWarning?: string;
  schema: { openAPIV3Schema: JSONSchemaProps };
  subresources?: { status?: Record<string, never>; scale?: ScaleSubresource };
  additionalPrinterColumns?: PrinterColumn[];
  selectableFields?: { jsonPath: string }[];
}

export interface CustomResourceConversion {
  strategy: "None" | "Webhook";
  webhook?: {
    conversionReviewVersions: string[];
    clientConfig: {
      url?: string;
      service?: { namespace: string; name: string; path?: string; port?: number };
      caBundle?: string;
    };
  };
}

export interface CustomResourceDefinition {
  apiVersion: "apiextensions.k8s.io/v1";
  kind: "CustomResourceDefinition";
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: CustomResourceNames;
    scope: "Namespaced" | "Cluster";
    versions: CustomResourceDefinitionVersion[];
    conversion?: CustomResourceConversion;
  };
}

/** One version of a custom resource: a ResourceType for clients, and the source of its CRD. */
export interface CustomResourceType<T extends { apiVersion: string; kind: string } = CustomResourceObject<TSchema, TSchema>>
  extends ResourceType<T> {
  /** Type-only: `typeof Foo.$type` is the object type. Undefined at run time. */
  readonly $type: T;
  readonly group: string;
  readonly version: string;
  readonly scope: "Namespaced" | "Cluster";
  readonly names: Readonly<CustomResourceNames>;
  /** The REST mapping, for a RESTMapper that should not wait for discovery (`mapper.add(Foo.mapping)`). */
  readonly mapping: RESTMapping;
  /** This version's entry in the CRD, schema included. */
  readonly definition: Readonly<CustomResourceDefinitionVersion>;
  /** Whether `storage` was given; decides the storage version when several versions make one CRD. */
  readonly storageGiven: boolean | undefined;
  readonly metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  /** Whether this version is its kind's conversion hub. */
  readonly hub: boolean;
  /** How this version converts to and from the hub, when it is a spoke. */
  readonly conversion: SpokeConversion<T, unknown> | undefined;
  /** The CRD with this version alone. */
  crd(): CustomResourceDefinition;
  crdYaml(): string;
}

/**
 * Defines a custom resource once, in TypeScript: the result is the ResourceType that clients take, carries the static
 * object type, and yields the CustomResourceDefinition. Schema errors throw here, naming the field.
 */
export function defineCustomResource<Spec extends TSchema, Status extends TSchema | undefined = undefined, Hub = never>(
  options: CustomResourceOptions<Spec, Status> & { conversion?: SpokeConversion<CustomResourceObject<Spec, Status>, Hub> },
): CustomResourceType<CustomResourceObject<Spec, Status>> {
  const { group, version, kind } = options;
  const where = `${kind}.${group}/${version}`;
  check(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/.test(group), where, `group "${group}" must be a lowercase domain with a dot`);
  check(/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(version), where, `version "${version}" must be a lowercase DNS label such as v1alpha1`);
  check(/^[A-Za-z][A-Za-z0-9]*$/.test(kind), where, `kind "${kind}" must be alphanumeric`);
  const names: CustomResourceNames = {
    kind,
    listKind: options.listKind ?? `${kind}List`,
    plural: options.plural ?? pluralize(kind.toLowerCase()),
    singular: options.singular ?? kind.toLowerCase(),
    ...(options.shortNames?.length ? { shortNames: [...options.shortNames] } : {}),
    ...(options.categories?.length ? { categories: [...options.categories] } : {}),
  };
  for (const name of [names.plural, names.singular, ...(names.shortNames ?? []), ...(names.categories ?? [])]) {
    check(/^[a-z]([-a-z0-9]*[a-z0-9])?$/.test(name), where, `name "${name}" must be a lowercase DNS label`);
  }

  const openAPIV3Schema = topLevelSchema(options, where);
  const statusSubresource = options.subresources?.status ?? options.status !== undefined;
  check(!statusSubresource || options.status !== undefined, where, "the status subresource needs a status schema");
  const subresources = {
    ...(statusSubresource ? { status: {} } : {}),
    ...(options.subresources?.scale ? { scale: { ...options.subresources.scale } } : {}),
  };
  const scale = options.subresources?.scale;
  const paths = [
    ...(options.printerColumns ?? []).map((c) => [c.jsonPath, `printer column ${c.name}`]),
    ...(options.selectableFields ?? []).map((p) => [p, "selectable field"]),
    ...(scale ? [[scale.specReplicasPath, "scale specReplicasPath"], [scale.statusReplicasPath, "scale statusReplicasPath"]] : []),
    ...(scale?.labelSelectorPath ? [[scale.labelSelectorPath, "scale labelSelectorPath"]] : []),
  ];
  for (const [path, what] of paths) checkPath(openAPIV3Schema, path!, `${where} ${what}`);
  const conversion = options.conversion;
  check(!(conversion && options.hub), where, "a version is either the hub or converts to one, not both");
  if (conversion) {
    check(conversion.hub.hub, where, `${conversion.hub.version} is not defined with hub: true`);
    check(conversion.hub.group === group && conversion.hub.kind === kind, where, `its hub ${conversion.hub.apiVersion} ${conversion.hub.kind} is another kind`);
    check(conversion.hub.version !== version, where, "a spoke cannot be its own hub");
  }

  const definition: CustomResourceDefinitionVersion = {
    name: version,
    served: options.served ?? true,
    storage: options.storage ?? true,
    ...(options.deprecated !== undefined ? { deprecated: options.deprecated } : {}),
    ...(options.deprecationWarning !== undefined ? { deprecationWarning: options.deprecationWarning } : {}),
    schema: { openAPIV3Schema },
    ...(Object.keys(subresources).length ? { subresources } : {}),
    ...(options.printerColumns?.length ? { additionalPrinterColumns: options.printerColumns.map((c) => ({ ...c })) } : {}),
    ...(options.selectableFields?.length ? { selectableFields: options.selectableFields.map((jsonPath) => ({ jsonPath })) } : {}),
  };
  const self: CustomResourceType<CustomResourceObject<Spec, Status>> = {
    apiVersion: `${group}/${version}`,
    kind,
    group,
    version,
    scope: options.scope,
    names: Object.freeze(names),
    mapping: { group, version, kind, resource: names.plural, namespaced: options.scope === "Namespaced" },
    definition,
    storageGiven: options.storage,
    hub: options.hub ?? false,
    conversion: conversion as SpokeConversion<unknown, unknown> | undefined,
    metadata: {
      ...(options.labels ? { labels: { ...options.labels } } : {}),
      ...(options.annotations ? { annotations: { ...options.annotations } } : {}),
    },
    crd: () => customResourceDefinition([self]),
    crdYaml: () => crdToYaml(customResourceDefinition([self])),
  } as CustomResourceType<CustomResourceObject<Spec, Status>>;
  Object.defineProperty(self, "$type", { value: undefined, enumerable: false });
  return Object.freeze(self);
}

function topLevelSchema(options: CustomResourceOptions<TSchema, TSchema | undefined>, where: string): JSONSchemaProps {
  const convert = (schema: TSchema, path: string) => {
    try {
      return toStructural(schema, path);
    } catch (err) {
      if (err instanceof StructuralSchemaError) throw new StructuralSchemaError(err.path, err.problem, where);
      throw err;
    }
  };
  const properties: Record<string, JSONSchemaProps> = {
    apiVersion: { type: "string", description: "The versioned schema of this representation of an object." },
    kind: { type: "string", description: "The REST resource this object represents." },
    metadata: { type: "object" },
    spec: convert(options.spec, "spec"),
  };
  if (options.status !== undefined) properties.status = convert(options.status, "status");
  return {
    ...(options.description ? { description: options.description } : {}),
    type: "object",
    properties,
    // The static type makes spec required; so does the schema, so that objects read back always match it.
    required: ["spec"],
  };
}

/**
 * Builds one CRD from several versions of the same kind. When more than one version is given, exactly one must be
 * defined with `storage: true`.
 */
export function customResourceDefinition(
  versions: readonly CustomResourceType<{ apiVersion: string; kind: string }>[],
  options: { conversionWebhook?: ConversionWebhookOptions } = {},
): CustomResourceDefinition {
  const [first] = versions;
  if (!first) throw new Error("customResourceDefinition needs at least one version");
  const name = `${first.names.plural}.${first.group}`;
  const seen = new Set<string>();
  for (const v of versions) {
    check(v.group === first.group && v.kind === first.kind, name, `${v.kind}.${v.group} cannot share a CRD with ${first.kind}.${first.group}`);
    check(JSON.stringify(v.names) === JSON.stringify(first.names), name, `versions ${first.version} and ${v.version} disagree on names`);
    check(v.scope === first.scope, name, `versions ${first.version} and ${v.version} disagree on scope`);
    check(!seen.has(v.version), name, `version ${v.version} is given twice`);
    seen.add(v.version);
  }
  const storage = versions.length === 1 ? [first] : versions.filter((v) => v.storageGiven === true);
  check(
    storage.length === 1,
    name,
    `exactly one version must be defined with storage: true, got ${storage.length ? storage.map((v) => v.version).join(", ") : "none"}`,
  );
  const hubs = versions.filter((v) => v.hub);
  check(hubs.length <= 1, name, `only one version can be the hub, got ${hubs.map((v) => v.version).join(", ")}`);
  const converting = versions.length > 1 && versions.some((v) => v.hub || v.conversion);
  if (converting) {
    for (const v of versions) {
      check(v.hub || v.conversion?.hub === hubs[0], name, `version ${v.version} has no conversion to the hub${hubs[0] ? ` ${hubs[0].version}` : ""}`);
    }
  }
  const labels = Object.assign({}, ...versions.map((v) => v.metadata.labels)) as Record<string, string>;
  const annotations = Object.assign({}, ...versions.map((v) => v.metadata.annotations)) as Record<string, string>;
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: {
      name,
      ...(Object.keys(labels).length ? { labels } : {}),
      ...(Object.keys(annotations).length ? { annotations } : {}),
    },
    spec: {
      group: first.group,
      names: { ...first.names },
      scope: first.scope,
      versions: versions.map((v) => structuredClone({ ...v.definition, storage: v === storage[0] })),
      ...(converting ? { conversion: webhookConversion(options.conversionWebhook) } : {}),
    },
  };
}

function webhookConversion(options: ConversionWebhookOptions = {}): CustomResourceConversion {
  const service = options.service ?? (options.url ? undefined : DEFAULT_CONVERSION_SERVICE);
  return {
    strategy: "Webhook",
    webhook: {
      conversionReviewVersions: ["v1"],
      clientConfig: {
        ...(service ? { service: { path: "/convert", port: 443, ...service } } : { url: options.url }),
        ...(options.caBundle ? { caBundle: Buffer.from(options.caBundle).toString("base64") } : {}),
      },
    },
  };
}

/** YAML as controller-gen writes it: one document, no folded lines. */
export function crdToYaml(crd: CustomResourceDefinition): string {
  return `---\n${stringify(crd, { lineWidth: 0 })}`;
}

function check(ok: boolean, where: string, problem: string): asserts ok {
  if (!ok) throw new Error(`${where}: ${problem}`);
}

/**
 * A simple path (`.spec.replicas`) must name a field of the schema, so that a typo fails here rather than showing an
 * empty column. Paths with filters or indexes, and paths into metadata or free-form fields, are left to the server.
 */
function checkPath(schema: JSONSchemaProps, path: string, what: string): void {
  if (!/^(\.[A-Za-z0-9_-]+)+$/.test(path)) return;
  let node: JSONSchemaProps | undefined = schema;
  for (const field of path.slice(1).split(".")) {
    if (field === "metadata" && node === schema) return;
    if (node["x-kubernetes-preserve-unknown-fields"]) return;
    if (typeof node.additionalProperties === "object") {
      node = node.additionalProperties;
      continue;
    }
    node = node.properties?.[field];
    if (!node) throw new Error(`${what}: ${path} names no field of the schema`);
  }
}

function pluralize(word: string): string {
  if (/(s|x|z|ch|sh)$/.test(word)) return `${word}es`;
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  return `${word}s`;
}
