/**
 * Custom resources defined once in TypeScript: the static types and the structural CustomResourceDefinition, what
 * kubebuilder's markers and controller-gen do in Go.
 */
export { type Static, type TSchema, Type } from "@sinclair/typebox";
export {
  type CustomResource,
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
  toYaml,
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
export { crdFiles, isCustomResourceType, staleCRDs, writeCRDs } from "./write.ts";
