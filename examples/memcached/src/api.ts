import { defineCustomResource, int32, Type, type CustomResource } from "@operator-ts/runtime/crd";

const Condition = Type.Object({
  type: Type.String(),
  status: Type.Union([Type.Literal("True"), Type.Literal("False"), Type.Literal("Unknown")]),
  observedGeneration: Type.Optional(int32()),
  lastTransitionTime: Type.String({ format: "date-time" }),
  reason: Type.String(),
  message: Type.String(),
});

/** Memcached (cache.example.com/v1alpha1): a memcached Deployment of spec.size replicas. */
export const Memcached = defineCustomResource({
  group: "cache.example.com",
  version: "v1alpha1",
  kind: "Memcached",
  scope: "Namespaced",
  description: "Memcached is the Schema for the memcacheds API",
  spec: Type.Object({
    size: int32({ minimum: 1, maximum: 5, description: "The number of memcached instances." }),
    containerPort: Type.Optional(int32({ minimum: 1, maximum: 65535, default: 11211, description: "Port memcached listens on." })),
  }),
  status: Type.Object({
    conditions: Type.Optional(Type.Array(Condition, { description: "Available, Progressing and Degraded." })),
  }),
  printerColumns: [
    { name: "Size", type: "integer", jsonPath: ".spec.size" },
    { name: "Available", type: "string", jsonPath: ".status.conditions[?(@.type==\"Available\")].status" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
});

export type Memcached = CustomResource<typeof Memcached>;
