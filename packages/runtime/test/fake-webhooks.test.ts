import { describe, expect, it } from "vitest";
import { ApiError, isInvalid } from "../src/client/errors.ts";
import { Patch } from "../src/client/interfaces.ts";
import { FakeClientBuilder } from "../src/fake/index.ts";
import { field } from "../src/webhook/index.ts";
import { DEFAULTED, Gizmo, gizmo } from "./fixtures/webhook-gizmo.ts";

const client = () =>
  new FakeClientBuilder()
    .withKind(Gizmo, { namespaced: true })
    .withWebhooks(Gizmo, {
      defaulter: {
        default(g) {
          g.spec.size ??= 1;
          g.metadata.labels = { ...g.metadata.labels, [DEFAULTED]: "true" };
        },
      },
      validator: {
        validateCreate: (g) => ((g.spec.size ?? 0) > 5 ? { errors: [field.invalid("spec.size", g.spec.size, "must be at most 5")] } : undefined),
        validateUpdate: (o, n) => (o.spec.owner !== n.spec.owner ? { errors: [field.forbidden("spec.owner", "is immutable")] } : undefined),
        validateDelete: (g) => (g.spec.locked ? { errors: [field.forbidden("spec.locked", "unlock it first")] } : undefined),
      },
    })
    .build();

describe("the fake client runs defaulters and validators", () => {
  it("applies defaults on create and validates the defaulted object", async () => {
    const c = client();
    const created = await c.create(gizmo("a", {}));
    expect(created.spec.size).toBe(1);
    expect(created.metadata.labels).toEqual({ [DEFAULTED]: "true" });
    expect((await c.get(Gizmo, { namespace: "default", name: "a" })).spec.size).toBe(1);
    const err = await c.create(gizmo("b", { size: 9 })).catch((e: unknown) => e);
    expect(isInvalid(err)).toBe(true);
    expect((err as ApiError).status.message).toBe(
      'admission webhook "vgizmo-v1.webhook.operator-ts.dev" denied the request: Gizmo.webhook.operator-ts.dev "b" is invalid: spec.size: Invalid value: 9: must be at most 5',
    );
    await expect(c.get(Gizmo, { namespace: "default", name: "b" })).rejects.toThrow("not found");
  });

  it("validates updates and patches against the old object, and deletes", async () => {
    const c = client();
    const created = await c.create(gizmo("a", { owner: "x", locked: true }));
    await expect(c.update({ ...created, spec: { ...created.spec, owner: "y" } })).rejects.toThrow("spec.owner: Forbidden: is immutable");
    await expect(c.patch(created, Patch.merge({ spec: { owner: "z" } }))).rejects.toThrow("spec.owner: Forbidden: is immutable");
    // A merge patch that removes the size is defaulted again.
    const patched = await c.patch(created, Patch.merge({ spec: { size: null } }));
    expect(patched.spec.size).toBe(1);
    await expect(c.delete(patched)).rejects.toThrow("spec.locked: Forbidden: unlock it first");
    const unlocked = await c.update({ ...patched, spec: { ...patched.spec, locked: false } });
    await c.delete(unlocked);
    await expect(c.get(Gizmo, { namespace: "default", name: "a" })).rejects.toThrow("not found");
  });
});
