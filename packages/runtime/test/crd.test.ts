import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, expectTypeOf, it } from "vitest";
import { parse } from "yaml";
import {
  crdFiles,
  type CustomResource,
  customResourceDefinition,
  defineCustomResource,
  embeddedResource,
  int32,
  intOrString,
  type JSONSchemaProps,
  staleCRDs,
  StructuralSchemaError,
  toStructural,
  Type,
  type TSchema,
  writeCRDs,
} from "../src/crd/index.ts";
import { GadgetV1, GadgetV1alpha1, Widget } from "./fixtures/crd-widget.ts";

const QUANTITY = "^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$";

const schemaOf = (def: { crd(): { spec: { versions: { schema: { openAPIV3Schema: JSONSchemaProps } }[] } } }) =>
  def.crd().spec.versions[0]!.schema.openAPIV3Schema;

const base = { group: "example.operator-ts.dev", version: "v1", kind: "Thing", scope: "Namespaced" } as const;
const specWith = (field: TSchema) => () => defineCustomResource({ ...base, spec: Type.Object({ field }) });

describe("CRD schema generation", () => {
  it("turns a representative spec into exactly the structural schema", () => {
    expect(schemaOf(Widget).properties!.spec).toEqual({
      type: "object",
      properties: {
        size: { type: "integer", minimum: 1, maximum: 10, default: 3, description: "How many replicas." },
        color: { type: "string", default: "red", enum: ["red", "green", "blue"] },
        image: { type: "string", minLength: 1, pattern: "^[a-z0-9./:-]+$" },
        port: { anyOf: [{ type: "integer" }, { type: "string" }], "x-kubernetes-int-or-string": true },
        memory: { anyOf: [{ type: "integer" }, { type: "string" }], pattern: QUANTITY, "x-kubernetes-int-or-string": true },
        labels: { type: "object", additionalProperties: { type: "string" } },
        containers: {
          type: "array",
          items: {
            type: "object",
            properties: {
              name: { type: "string" },
              args: { type: "array", maxItems: 8, items: { type: "string" } },
              env: {
                type: "array",
                items: {
                  type: "object",
                  properties: { name: { type: "string" }, value: { type: "string" } },
                  required: ["name"],
                },
              },
            },
            required: ["name"],
          },
        },
        config: { type: "object", description: "Free-form configuration.", "x-kubernetes-preserve-unknown-fields": true },
        extra: { "x-kubernetes-preserve-unknown-fields": true },
        paused: { type: "boolean" },
        ratio: { type: "number", minimum: 0, exclusiveMinimum: true },
        owner: { type: "string", nullable: true },
      },
      required: ["size", "image"],
      "x-kubernetes-validations": [
        { rule: "!has(self.color) || self.color != 'blue' || self.size <= 5", message: "blue widgets have at most 5 replicas" },
      ],
    });
  });

  it("leaves metadata to the API server and requires spec at the top level", () => {
    const schema = schemaOf(Widget);
    expect(Object.keys(schema.properties!)).toEqual(["apiVersion", "kind", "metadata", "spec", "status"]);
    expect(schema.properties!.metadata).toEqual({ type: "object" });
    expect(schema).toMatchObject({ type: "object", description: "A widget for tests.", required: ["spec"] });
    expect(schema.properties!.status!.properties!.conditions).toMatchObject({
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
    });
  });

  it("strips TypeBox's own keys and drops what a CRD has no field for", () => {
    const schema = Type.Object({ a: Type.String({ $id: "A", examples: ["x"] }) }, { additionalProperties: false, $comment: "c" });
    const out = toStructural(schema);
    expect(out).toEqual({ type: "object", properties: { a: { type: "string" } }, required: ["a"] });
    expect(Object.getOwnPropertySymbols(out)).toEqual([]);
    expect(Object.getOwnPropertySymbols(out.properties!.a)).toEqual([]);
  });

  it("covers the helpers and the other shapes with a structural form", () => {
    expect(toStructural(int32({ minimum: 0 }))).toEqual({ type: "integer", minimum: 0, format: "int32" });
    expect(toStructural(embeddedResource())).toEqual({
      type: "object",
      "x-kubernetes-embedded-resource": true,
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(toStructural(Type.Any({ description: "anything" }))).toEqual({
      description: "anything",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(toStructural(Type.Object({}, { additionalProperties: true }))).toEqual({
      type: "object",
      "x-kubernetes-preserve-unknown-fields": true,
    });
    expect(toStructural(Type.Union([Type.Literal(1), Type.Literal(2)]))).toEqual({ type: "number", enum: [1, 2] });
    expect(toStructural(Type.Literal("only"))).toEqual({ type: "string", enum: ["only"] });
    expect(toStructural(Type.Record(Type.Union([Type.Literal("a"), Type.Literal("b")]), Type.Integer()))).toEqual({
      type: "object",
      properties: { a: { type: "integer" } , b: { type: "integer" } },
      required: ["a", "b"],
    });
    const handWritten = { type: "object", properties: { a: { type: "string" } }, anyOf: [{ required: ["a"] }, { required: ["b"] }] };
    expect(toStructural(Type.Unsafe<{ a?: string }>(handWritten))).toEqual(handWritten);
  });

  it("rejects what is not structural, naming the path", () => {
    const cases: [TSchema, RegExp][] = [
      [Type.Union([Type.Object({ a: Type.String() }), Type.Object({ b: Type.String() })]), /a union must be/],
      [Type.Union([Type.Literal("a"), Type.Literal(1)]), /a union must be/],
      [Type.Intersect([Type.Object({ a: Type.String() }), Type.Object({ b: Type.String() })]), /Type\.Composite/],
      [Type.Recursive((This) => Type.Object({ children: Type.Array(This) })), /references/],
      [Type.Tuple([Type.String(), Type.Integer()]), /tuples/],
      [Type.Record(Type.Number(), Type.String()), /only maps with any string key/],
      [Type.Null(), /has type "null"/],
      [Type.Union([Type.Literal("gold"), Type.Literal("silver"), Type.Null()]), /an enum cannot be nullable/],
      [Type.Date(), /has type "Date"/],
      [Type.Array(Type.String(), { uniqueItems: true }), /x-kubernetes-list-type/],
      [Type.Number({ minimum: 1, exclusiveMinimum: 0 }), /either minimum or exclusiveMinimum/],
      [Type.String({ errorMessage: "nope" }), /"errorMessage" is not a CRD schema keyword/],
    ];
    for (const [schema, problem] of cases) {
      const define = () =>
        defineCustomResource({ ...base, spec: Type.Object({ backends: Type.Array(Type.Object({ target: schema })) }) });
      expect(define).toThrow(StructuralSchemaError);
      expect(define).toThrow(/^Thing\.example\.operator-ts\.dev\/v1: spec\.backends\[\*\]\.target(: |\.children\[\*\]: )/);
      expect(define).toThrow(problem);
    }
    expect(specWith(Type.Record(Type.String(), Type.Null()))).toThrow(/^.*spec\.field\[\*\]: has type "null"/);
    const err = (() => {
      try {
        specWith(Type.Null())();
      } catch (e) {
        return e as StructuralSchemaError;
      }
    })();
    expect(err?.path).toBe("spec.field");
  });
});

describe("CustomResourceDefinition", () => {
  it("names the kind and carries printer columns, short names, subresources and selectable fields", () => {
    const crd = Widget.crd();
    expect(crd.metadata).toEqual({ name: "widgets.example.operator-ts.dev" });
    expect(crd.spec.names).toEqual({
      kind: "Widget",
      listKind: "WidgetList",
      plural: "widgets",
      singular: "widget",
      shortNames: ["wd"],
      categories: ["all-widgets"],
    });
    const [version] = crd.spec.versions;
    expect(version).toMatchObject({ name: "v1", served: true, storage: true });
    expect(version!.subresources).toEqual({
      status: {},
      scale: { specReplicasPath: ".spec.size", statusReplicasPath: ".status.readyReplicas" },
    });
    expect(version!.additionalPrinterColumns!.map((c) => c.name)).toEqual(["Size", "Color", "Ready", "Age"]);
    expect(version!.additionalPrinterColumns![2]).toEqual({
      name: "Ready",
      type: "integer",
      jsonPath: ".status.readyReplicas",
      priority: 1,
    });
    expect(version!.selectableFields).toEqual([{ jsonPath: ".spec.color" }]);
    expect(parse(Widget.crdYaml())).toEqual(crd);
    expect(Widget.crdYaml().startsWith("---\napiVersion: apiextensions.k8s.io/v1\n")).toBe(true);
  });

  it("pluralizes kinds and turns the status subresource on only with a status", () => {
    const plural = (kind: string) => defineCustomResource({ ...base, kind, spec: Type.Object({}) }).names.plural;
    expect(["Policy", "Ingress", "Gateway", "Box", "Match", "Database"].map(plural)).toEqual([
      "policies",
      "ingresses",
      "gateways",
      "boxes",
      "matches",
      "databases",
    ]);
    const noStatus = defineCustomResource({ ...base, spec: Type.Object({}) });
    expect(noStatus.crd().spec.versions[0]!.subresources).toBeUndefined();
    const statusOff = defineCustomResource({ ...base, spec: Type.Object({}), status: Type.Object({}), subresources: { status: false } });
    expect(statusOff.crd().spec.versions[0]!.subresources).toBeUndefined();
  });

  it("is a ResourceType with a REST mapping, frozen, whose $type exists only for the compiler", () => {
    expect(Widget.apiVersion).toBe("example.operator-ts.dev/v1");
    expect(Widget.kind).toBe("Widget");
    expect(Widget.mapping).toEqual({
      group: "example.operator-ts.dev",
      version: "v1",
      kind: "Widget",
      resource: "widgets",
      namespaced: true,
    });
    expect(Object.isFrozen(Widget)).toBe(true);
    expect(Widget.$type).toBeUndefined();
    expect(Object.keys(Widget)).not.toContain("$type");
  });

  it("gathers the versions of one kind into one CRD with one storage version", () => {
    const crd = customResourceDefinition([GadgetV1alpha1, GadgetV1]);
    expect(crd.spec.scope).toBe("Cluster");
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ["v1alpha1", true, false],
      ["v1", true, true],
    ]);
    expect(GadgetV1alpha1.crd().spec.versions[0]!.storage).toBe(true);

    const gadget = { group: "example.operator-ts.dev", kind: "Gadget", scope: "Cluster" } as const;
    const v2 = defineCustomResource({ ...gadget, version: "v2", spec: Type.Object({}) });
    expect(() => customResourceDefinition([GadgetV1alpha1, v2])).toThrow(/exactly one version .* storage: true, got none/);
    const v2stored = defineCustomResource({ ...gadget, version: "v2", storage: true, spec: Type.Object({}) });
    expect(() => customResourceDefinition([GadgetV1, v2stored])).toThrow(/got v1, v2/);
    const namespaced = defineCustomResource({ ...gadget, scope: "Namespaced", version: "v2", spec: Type.Object({}) });
    expect(() => customResourceDefinition([GadgetV1, namespaced])).toThrow(/disagree on scope/);
    expect(() => customResourceDefinition([GadgetV1, Widget])).toThrow(/cannot share a CRD/);
  });

  it("checks names and the paths of columns and subresources when the resource is defined", () => {
    expect(() => defineCustomResource({ ...base, group: "nodot", spec: Type.Object({}) })).toThrow(/group "nodot" must be a lowercase domain/);
    expect(() => defineCustomResource({ ...base, shortNames: ["Th"], spec: Type.Object({}) })).toThrow(/name "Th"/);
    const column = { name: "Size", type: "integer", jsonPath: ".spec.sise" } as const;
    expect(() =>
      defineCustomResource({ ...base, spec: Type.Object({ size: Type.Integer() }), printerColumns: [column] }),
    ).toThrow(/printer column Size: \.spec\.sise names no field/);
    expect(() =>
      defineCustomResource({
        ...base,
        spec: Type.Object({ labels: Type.Record(Type.String(), Type.String()), free: Type.Unknown() }),
        printerColumns: [
          { name: "Team", type: "string", jsonPath: ".spec.labels.team" },
          { name: "Free", type: "string", jsonPath: ".spec.free.deep.er" },
          { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
        ],
      }),
    ).not.toThrow();
    expect(() => defineCustomResource({ ...base, spec: Type.Object({}), subresources: { status: true } })).toThrow(
      /status subresource needs a status schema/,
    );
  });
});

describe("CRD files", () => {
  const dir = mkdtempSync(join(tmpdir(), "operator-ts-crd-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes one file per kind, named as controller-gen names them, and tells stale files apart", async () => {
    const out = join(dir, "config", "crd");
    const written = await writeCRDs(out, [Widget, GadgetV1alpha1, GadgetV1]);
    expect(written).toEqual([join(out, "example.operator-ts.dev_gadgets.yaml"), join(out, "example.operator-ts.dev_widgets.yaml")]);
    expect(parse(readFileSync(written[0]!, "utf8")).spec.versions).toHaveLength(2);
    expect(await staleCRDs(out, [Widget, GadgetV1alpha1, GadgetV1])).toEqual([]);
    writeFileSync(written[1]!, "changed by hand\n");
    expect(await staleCRDs(out, [Widget, GadgetV1alpha1, GadgetV1])).toEqual([written[1]]);
    expect([...crdFiles([Widget]).keys()]).toEqual(["example.operator-ts.dev_widgets.yaml"]);
  });

  it("has a CLI that writes the CRDs of a module's exports and checks them", () => {
    const out = join(dir, "cli");
    const cli = new URL("../src/crd/cli.ts", import.meta.url).pathname;
    const module = new URL("./fixtures/crd-widget.ts", import.meta.url).pathname;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ["--conditions=operator-ts-source", cli, ...args], { encoding: "utf8" });

    const check = run(out, module, "--check");
    expect(check.status).toBe(1);
    expect(check.stderr).toContain("out of date:");
    const write = run(out, module);
    expect(write.stderr).toBe("");
    expect(write.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(["example.operator-ts.dev_gadgets.yaml", "example.operator-ts.dev_widgets.yaml"]);
    expect(readFileSync(join(out, "example.operator-ts.dev_widgets.yaml"), "utf8")).toBe(Widget.crdYaml());
    expect(run(out, module, "--check").status).toBe(0);
  });
});

describe("static types", () => {
  it("gives the object type of a custom resource", () => {
    const widget: CustomResource<typeof Widget> = {
      apiVersion: Widget.apiVersion,
      kind: Widget.kind,
      metadata: { name: "w", namespace: "default" },
      spec: { size: 2, image: "nginx", color: "green", port: "http", labels: { a: "b" }, containers: [{ name: "c" }] },
      status: { readyReplicas: 1 },
    };
    expectTypeOf(widget.spec.color).toEqualTypeOf<"red" | "green" | "blue" | undefined>();
    expectTypeOf(widget.spec.port).toEqualTypeOf<string | number | undefined>();
    expectTypeOf(widget.spec.owner).toEqualTypeOf<string | null | undefined>();
    expectTypeOf<typeof Widget.$type>().toEqualTypeOf<CustomResource<typeof Widget>>();
    expectTypeOf<keyof CustomResource<typeof GadgetV1>>().toEqualTypeOf<"apiVersion" | "kind" | "metadata" | "spec">();

    const wrong: CustomResource<typeof Widget> = {
      ...widget,
      // @ts-expect-error: purple is not a Widget color
      spec: { ...widget.spec, color: "purple" },
    };
    expect(wrong.spec.color).toBe("purple");
    expect(intOrString()).toMatchObject({ "x-kubernetes-int-or-string": true });
  });
});
