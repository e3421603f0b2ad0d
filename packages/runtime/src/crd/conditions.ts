import { Type } from "@sinclair/typebox";
import { int64 } from "./schema.ts";

/** The schema of metav1.Condition, for `status.conditions` of custom resources (see api/conditions.ts). */
export function conditionSchema() {
  return Type.Object({
    type: Type.String({ maxLength: 316, description: "Type of condition in CamelCase." }),
    status: Type.Union([Type.Literal("True"), Type.Literal("False"), Type.Literal("Unknown")]),
    observedGeneration: Type.Optional(int64({ minimum: 0, description: "The .metadata.generation the condition was set for." })),
    lastTransitionTime: Type.String({ format: "date-time", description: "When the condition last changed status." }),
    reason: Type.String({ maxLength: 1024, description: "A programmatic identifier for the last transition, in CamelCase." }),
    message: Type.String({ maxLength: 32768, description: "A human readable message about the last transition." }),
  });
}

/** `conditions` as a list keyed by type, so server-side apply merges entries by type. */
export function conditionsSchema(description = "The latest available observations of the object's state.") {
  return Type.Array(conditionSchema(), {
    description,
    "x-kubernetes-list-type": "map",
    "x-kubernetes-list-map-keys": ["type"],
  });
}
