import { conditionsSchema, type CustomResource, defineCustomResource, int32, Type } from "@operator-ts/runtime/crd";

/** Memcached (cache.example.com/v1alpha1): a memcached Deployment of spec.size replicas. */
export const Memcached = defineCustomResource({
  group: "cache.example.com",
  version: "v1alpha1",
  kind: "Memcached",
  scope: "Namespaced",
  description: "Memcached is the Schema for the memcacheds API",
  spec: Type.Object({
    // Optional and unbounded here: the defaulting webhook sets 1, the validating one keeps it within 1..5 and the
    // namespace's quota (src/webhooks.ts), with messages that name the rule.
    size: Type.Optional(int32({ description: "The number of memcached instances (1 to 5; defaults to 1)." })),
    containerPort: Type.Optional(int32({ minimum: 1, maximum: 65535, default: 11211, description: "Port memcached listens on." })),
  }),
  status: Type.Object({
    conditions: Type.Optional(conditionsSchema("Available, Progressing and Degraded.")),
  }),
  printerColumns: [
    { name: "Size", type: "integer", jsonPath: ".spec.size" },
    { name: "Available", type: "string", jsonPath: ".status.conditions[?(@.type==\"Available\")].status" },
    { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
  ],
});

export type Memcached = CustomResource<typeof Memcached>;
