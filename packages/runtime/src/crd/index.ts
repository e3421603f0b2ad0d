/**
 * Custom resources defined once in TypeScript: the static types and the structural CustomResourceDefinition, what
 * kubebuilder's markers and controller-gen do in Go.
 *
 *   export const Widget = defineCustomResource({
 *     group: "example.com", version: "v1", kind: "Widget", scope: "Namespaced", shortNames: ["wd"],
 *     spec: Type.Object({ size: Type.Integer({ minimum: 1, default: 1 }), port: Type.Optional(intOrString()) }),
 *     status: Type.Object({ ready: Type.Optional(Type.Integer()) }),
 *     printerColumns: [{ name: "Size", type: "integer", jsonPath: ".spec.size" }],
 *   });
 *   export type Widget = CustomResource<typeof Widget>;
 *   await writeCRDs("config/crd", [Widget]);  // or: node src/crd/cli.ts config/crd src/api/widget.ts [--check]
 */
export { type Static, type TSchema, Type } from "@sinclair/typebox";
export {
  type ConversionWebhookOptions,
  type CustomResource,
  type CustomResourceConversion,
  type CustomResourceDefinition,
  type CustomResourceDefinitionVersion,
  type CustomResourceNames,
  type CustomResourceObject,
  type CustomResourceOptions,
  type CustomResourceType,
  customResourceDefinition,
  defineCustomResource,
  type PrinterColumn,
  type ScaleSubresource,
  type SpokeConversion,
  crdToYaml,
  DEFAULT_CONVERSION_SERVICE,
} from "./define.ts";
export {
  embeddedResource,
  type EmbeddedResource,
  int32,
  int64,
  intOrString,
  type JSONSchemaProps,
  preserveUnknownFields,
  quantity,
  StructuralSchemaError,
  toStructural,
} from "./schema.ts";
export { crdFiles, type CRDFileOptions, isCustomResourceType, staleCRDs, writeCRDs } from "./write.ts";
export { conditionSchema, conditionsSchema } from "./conditions.ts";
