import { Kind, type SchemaOptions, type TSchema, type TUnsafe, Type } from "@sinclair/typebox";

/** One node of a CRD's openAPIV3Schema (apiextensions.k8s.io/v1 JSONSchemaProps), as it travels as JSON. */
export interface JSONSchemaProps {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  description?: string;
  format?: string;
  default?: unknown;
  enum?: unknown[];
  nullable?: boolean;
  required?: string[];
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  "x-kubernetes-preserve-unknown-fields"?: boolean;
  "x-kubernetes-int-or-string"?: boolean;
  "x-kubernetes-embedded-resource"?: boolean;
  [keyword: string]: unknown;
}

/** Copied as they are: validation and documentation keywords that mean the same in a CRD as in TypeBox. */
const PASSED = new Set([
  "description",
  "title",
  "format",
  "default",
  "example",
  "externalDocs",
  "nullable",
  "enum",
  "minimum",
  "maximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "x-kubernetes-preserve-unknown-fields",
  "x-kubernetes-embedded-resource",
  "x-kubernetes-int-or-string",
  "x-kubernetes-list-type",
  "x-kubernetes-list-map-keys",
  "x-kubernetes-map-type",
  "x-kubernetes-validations",
]);

/** Annotations of JSON Schema that a CRD has no field for and that change no validation. */
const DROPPED = new Set(["$id", "$schema", "$comment", "examples", "readOnly", "writeOnly", "static", "params"]);

/** The pattern TypeBox gives `Type.Record(Type.String(), X)`: any key, which in a CRD is `additionalProperties`. */
const ANY_KEY = "^(.*)$";

const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);

export class StructuralSchemaError extends Error {
  override readonly name = "StructuralSchemaError";
  readonly path: string;
  readonly problem: string;
  /** `where` names the resource, when known: `Widget.example.com/v1: spec.size: ...`. */
  constructor(path: string, problem: string, where?: string) {
    super(`${where ? `${where}: ` : ""}${path}: ${problem}`);
    this.path = path;
    this.problem = problem;
  }
}

/**
 * Turns a TypeBox schema into a structural schema as the API server demands of a CRD: every node typed, no
 * references, maps as `additionalProperties`, unions of literals as `enum`. Throws a StructuralSchemaError naming the
 * path of the first node that has no structural form. `Type.Unsafe` schemas are the escape hatch and are copied as
 * they are.
 */
export function toStructural(schema: TSchema, path = "<root>"): JSONSchemaProps {
  const kind = (schema as { [Kind]?: string })[Kind];
  if (kind === "Unsafe") return JSON.parse(JSON.stringify(schema)) as JSONSchemaProps;
  if (kind === "Unknown" || kind === "Any") {
    return { ...annotations(schema, path), "x-kubernetes-preserve-unknown-fields": true };
  }
  const node = schema as Record<string, unknown>;
  if (node.$ref !== undefined) {
    throw new StructuralSchemaError(path, "references ($ref, Type.Ref, Type.Recursive) are not allowed in a CRD schema; use preserveUnknownFields() for recursive data");
  }
  if (node.allOf !== undefined) {
    throw new StructuralSchemaError(path, "intersections (allOf) are not structural; merge the objects with Type.Composite");
  }
  if (node.anyOf !== undefined) return union(node, path);
  if (Array.isArray(node.items)) {
    throw new StructuralSchemaError(path, "tuples are not structural; use an array of one item type or an object");
  }
  for (const keyword of ["oneOf", "not", "definitions", "$defs", "patternProperties", "additionalItems", "dependencies"]) {
    if (keyword in node && !(keyword === "patternProperties" && node.type === "object")) {
      throw new StructuralSchemaError(path, `"${keyword}" is not allowed here; use Type.Unsafe for a hand-written schema`);
    }
  }

  const type = node.type;
  if (typeof type !== "string" || !TYPES.has(type)) {
    const what = type === undefined ? "has no type" : `has type ${JSON.stringify(type)}`;
    throw new StructuralSchemaError(path, `${what}; a CRD schema node must be an object, array, string, integer, number or boolean (Type.Unknown() for any value)`);
  }
  const out: JSONSchemaProps = { type: type as JSONSchemaProps["type"] };
  for (const [key, value] of Object.entries(node)) {
    if (key === "type" || DROPPED.has(key)) continue;
    if (PASSED.has(key)) out[key] = value;
    else if (key === "const") out.enum = [value];
    else if (key === "exclusiveMinimum" || key === "exclusiveMaximum") exclusive(out, node, key, path);
    else if (key === "uniqueItems") {
      if (value === true) throw new StructuralSchemaError(path, `uniqueItems is not allowed; use { "x-kubernetes-list-type": "set" }`);
    } else if (type === "object" && ["properties", "required", "patternProperties", "additionalProperties"].includes(key)) {
      continue;
    } else if (type === "array" && key === "items") {
      out.items = toStructural(value as TSchema, `${path}[*]`);
    } else {
      throw new StructuralSchemaError(path, `"${key}" is not a CRD schema keyword`);
    }
  }
  if (type === "object") object(node, out, path);
  if (type === "array" && out.items === undefined) throw new StructuralSchemaError(path, "an array needs an item schema");
  return out;
}

function object(node: Record<string, unknown>, out: JSONSchemaProps, path: string): void {
  const properties = (node.properties ?? {}) as Record<string, TSchema>;
  const names = Object.keys(properties);
  if (names.length) {
    out.properties = {};
    for (const name of names) out.properties[name] = toStructural(properties[name]!, join(path, name));
  }
  const required = (node.required as string[] | undefined) ?? [];
  if (required.length) out.required = [...required];

  const patterns = node.patternProperties as Record<string, TSchema> | undefined;
  let values: TSchema | boolean | undefined = node.additionalProperties as TSchema | boolean | undefined;
  if (patterns) {
    const keys = Object.keys(patterns);
    if (keys.length !== 1 || keys[0] !== ANY_KEY) {
      throw new StructuralSchemaError(path, `only maps with any string key are allowed (Type.Record(Type.String(), ...)), not keys matching ${keys.join(", ")}`);
    }
    values = patterns[ANY_KEY]!;
  }
  if (values === true) out["x-kubernetes-preserve-unknown-fields"] = true;
  else if (values !== undefined && values !== false) {
    if (names.length) throw new StructuralSchemaError(path, "an object has either properties or a schema for the values of a map, not both");
    out.additionalProperties = toStructural(values, `${path}[*]`);
  }
  // additionalProperties: false has no CRD form: the API server prunes unknown fields of a structural schema anyway.
}

/** A union is structural in two shapes: literals of one type (an enum) and one type or null (nullable). */
function union(node: Record<string, unknown>, path: string): JSONSchemaProps {
  const branches = node.anyOf as Record<string, unknown>[];
  const nonNull = branches.filter((b) => b.type !== "null");
  const nullable = nonNull.length < branches.length ? { nullable: true } : {};
  const outer = annotations(node as TSchema, path, ["anyOf"]);
  if (nonNull.length === 1) {
    return { ...toStructural(nonNull[0] as TSchema, path), ...outer, ...nullable };
  }
  const types = new Set(nonNull.map((b) => b.type));
  if (nonNull.length > 1 && nonNull.every((b) => "const" in b) && types.size === 1) {
    const [type] = types;
    if (nullable.nullable) {
      // The API server checks null against the enum, and null matches no enum value, not even a listed null.
      throw new StructuralSchemaError(path, "an enum cannot be nullable: the API server rejects null for it; make the field Optional instead");
    }
    return { type: type as JSONSchemaProps["type"], ...outer, enum: nonNull.map((b) => b.const) };
  }
  throw new StructuralSchemaError(path, "a union must be of literals of one type (an enum) or of one type and null; intOrString() covers int-or-string, Type.Unsafe anything else");
}

/** The keywords of a node that carries no type of its own (Unknown, a union): they must still be CRD keywords. */
function annotations(schema: TSchema, path: string, skip: string[] = []): JSONSchemaProps {
  const out: JSONSchemaProps = {};
  for (const [key, value] of Object.entries(schema)) {
    if (skip.includes(key) || DROPPED.has(key)) continue;
    if (!PASSED.has(key)) throw new StructuralSchemaError(path, `"${key}" is not a CRD schema keyword here`);
    out[key] = value;
  }
  return out;
}

/** JSON Schema draft 6+ gives the bound (exclusiveMinimum: 0), a CRD a flag on minimum (minimum: 0, exclusiveMinimum: true). */
function exclusive(out: JSONSchemaProps, node: Record<string, unknown>, key: "exclusiveMinimum" | "exclusiveMaximum", path: string) {
  const bound = key === "exclusiveMinimum" ? "minimum" : "maximum";
  const value = node[key];
  if (typeof value === "boolean") {
    out[key] = value;
    return;
  }
  if (node[bound] !== undefined) throw new StructuralSchemaError(path, `give either ${bound} or ${key}, not both`);
  out[bound] = value;
  out[key] = true;
}

function join(path: string, name: string): string {
  const segment = /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? name : JSON.stringify(name);
  return path === "<root>" ? segment : `${path}.${segment}`;
}

/** A value that is an integer or a string (`intstr.IntOrString`): ports by number or name, "25%" or 3. */
export function intOrString(options: SchemaOptions = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    ...options,
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
  });
}

/** A resource quantity ("500m", "1Gi", 2) with the pattern the API server's own types use. */
export function quantity(options: SchemaOptions = {}): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    ...options,
    anyOf: [{ type: "integer" }, { type: "string" }],
    pattern: "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$",
    "x-kubernetes-int-or-string": true,
  });
}

/** An object whose fields the API server keeps without knowing them (free-form configuration). */
export function preserveUnknownFields(options: SchemaOptions = {}): TUnsafe<Record<string, unknown>> {
  return Type.Unsafe<Record<string, unknown>>({ type: "object", ...options, "x-kubernetes-preserve-unknown-fields": true });
}

/** A whole Kubernetes object inside this one (a Pod template, say): the server checks its apiVersion, kind and metadata. */
export function embeddedResource(options: SchemaOptions = {}): TUnsafe<EmbeddedResource> {
  return Type.Unsafe<EmbeddedResource>({
    type: "object",
    ...options,
    "x-kubernetes-embedded-resource": true,
    "x-kubernetes-preserve-unknown-fields": true,
  });
}

export interface EmbeddedResource {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** A 32-bit integer (`format: int32`), as Go's int32 fields are described. */
export const int32 = (options: SchemaOptions = {}) => Type.Integer({ ...options, format: "int32" });

/** A 64-bit integer (`format: int64`). JSON numbers lose precision past 2^53 in JavaScript all the same. */
export const int64 = (options: SchemaOptions = {}) => Type.Integer({ ...options, format: "int64" });
