import { describe, expect, it } from "vitest";
import type { KubeObject } from "../src/api/object.ts";
import {
  and,
  annotationChanged,
  generationChanged,
  labelChanged,
  labelSelectorPredicate,
  not,
  or,
  predicateFuncs,
  resourceVersionChanged,
} from "../src/predicate/index.ts";

const obj = (meta: Partial<NonNullable<KubeObject["metadata"]>> = {}): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { namespace: "ns", name: "a", ...meta },
});
const upd = (o: KubeObject, n: KubeObject) => ({ objectOld: o, objectNew: n });

describe("predicates", () => {
  it("generationChanged passes updates that change metadata.generation, and every other event", () => {
    const p = generationChanged();
    expect(p.update!(upd(obj({ generation: 1 }), obj({ generation: 2 })))).toBe(true);
    expect(p.update!(upd(obj({ generation: 1, resourceVersion: "1" }), obj({ generation: 1, resourceVersion: "2" })))).toBe(false);
    expect(p.create).toBeUndefined();
    expect(and(p).create!({ object: obj(), isInInitialList: false })).toBe(true);
  });

  it("resourceVersionChanged, labelChanged and annotationChanged compare their fields", () => {
    expect(resourceVersionChanged().update!(upd(obj({ resourceVersion: "1" }), obj({ resourceVersion: "1" })))).toBe(false);
    expect(resourceVersionChanged().update!(upd(obj({ resourceVersion: "1" }), obj({ resourceVersion: "2" })))).toBe(true);
    const l = labelChanged();
    expect(l.update!(upd(obj({ labels: { a: "1" } }), obj({ labels: { a: "1" } })))).toBe(false);
    expect(l.update!(upd(obj({ labels: { a: "1" } }), obj({ labels: { a: "2" } })))).toBe(true);
    expect(l.update!(upd(obj({ labels: { a: "1" } }), obj({ labels: { b: "1" } })))).toBe(true);
    expect(l.update!(upd(obj({ labels: { a: "1" } }), obj({})))).toBe(true);
    expect(l.update!(upd(obj({}), obj({ labels: {} })))).toBe(false);
    const a = annotationChanged();
    expect(a.update!(upd(obj({ annotations: { x: "1" } }), obj({ annotations: { x: "1" } })))).toBe(false);
    expect(a.update!(upd(obj({ annotations: { x: "1" } }), obj({ annotations: { x: "1", y: "2" } })))).toBe(true);
  });

  it("predicateFuncs filters every event type (the new object on update)", () => {
    const p = predicateFuncs((o) => o.metadata?.name === "keep");
    expect(p.create!({ object: obj({ name: "keep" }), isInInitialList: true })).toBe(true);
    expect(p.delete!({ object: obj({ name: "drop" }), deleteStateUnknown: false })).toBe(false);
    expect(p.generic!({ object: obj({ name: "keep" }) })).toBe(true);
    expect(p.update!(upd(obj({ name: "drop" }), obj({ name: "keep" })))).toBe(true);
    expect(p.update!(upd(obj({ name: "keep" }), obj({ name: "drop" })))).toBe(false);
  });

  it("labelSelectorPredicate filters every event type by the object's labels (the new object on update)", () => {
    const byMap = labelSelectorPredicate({ app: "web" });
    expect(byMap.create!({ object: obj({ labels: { app: "web", x: "y" } }), isInInitialList: false })).toBe(true);
    expect(byMap.create!({ object: obj({ labels: { app: "db" } }), isInInitialList: false })).toBe(false);
    expect(byMap.create!({ object: obj(), isInInitialList: false })).toBe(false);
    expect(byMap.update!(upd(obj({ labels: { app: "web" } }), obj({ labels: { app: "db" } })))).toBe(false);
    expect(byMap.delete!({ object: obj({ labels: { app: "web" } }), deleteStateUnknown: false })).toBe(true);
    expect(labelSelectorPredicate({}).generic!({ object: obj() })).toBe(true);

    // A LabelSelector, as in a Deployment's spec.selector (its forms are the labels module's; see labels.test.ts).
    const sel = labelSelectorPredicate({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "In", values: ["front", "edge"] }] });
    const ev = (labels: Record<string, string>) => ({ object: obj({ labels }) });
    expect(sel.generic!(ev({ app: "web", tier: "edge" }))).toBe(true);
    expect(sel.generic!(ev({ app: "web", tier: "back" }))).toBe(false);
    // A selector that cannot select is refused when the predicate is made, not at the first event.
    expect(() => labelSelectorPredicate({ matchExpressions: [{ key: "a", operator: "In" }] })).toThrow(/needs values/);
  });

  it("and, or, not combine predicates; missing methods pass", () => {
    const yes = predicateFuncs(() => true);
    const no = predicateFuncs(() => false);
    const ce = { object: obj(), isInInitialList: false };
    expect(and(yes, no).create!(ce)).toBe(false);
    expect(and(yes, yes).create!(ce)).toBe(true);
    expect(and().create!(ce)).toBe(true);
    expect(or(yes, no).create!(ce)).toBe(true);
    expect(or(no, no).create!(ce)).toBe(false);
    expect(or().create!(ce)).toBe(false);
    expect(or(no, generationChanged()).create!(ce)).toBe(true);
    expect(not(no).create!(ce)).toBe(true);
    expect(not(yes).delete!({ object: obj(), deleteStateUnknown: true })).toBe(false);
    expect(not(generationChanged()).create!(ce)).toBe(false);
    expect(not(generationChanged()).update!(upd(obj({ generation: 1 }), obj({ generation: 1 })))).toBe(true);
  });
});
