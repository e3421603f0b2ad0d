import { describe, expect, it } from "vitest";
import * as cache from "../src/cache/index.ts";
import * as client from "../src/client/index.ts";
import { labels } from "../src/index.ts";
import {
  fieldMatcher,
  fieldSelectorOf,
  fieldSelectorString,
  fieldValue,
  formatSelector,
  labelMatcher,
  labelSelectorString,
  parseFieldSelector,
  parseLabelRequirements,
  parseLabelSelector,
  SelectorParseError,
  selectorMatches,
} from "../src/labels/index.ts";
import * as predicate from "../src/predicate/index.ts";

describe("label selectors", () => {
  it("parses and matches every operator of the string form", () => {
    const sel = "a=b,c!=d,e in (x,y),!f,g, h notin (1, 2), n>3, m<10, k==v";
    const parsed = parseLabelSelector(sel);
    expect(parsed.requirements.map((r) => r.operator)).toEqual(["=", "!=", "in", "!", "exists", "notin", ">", "<", "="]);
    const labels = { a: "b", c: "x", e: "y", g: "", h: "3", n: "4", m: "9", k: "v" };
    expect(selectorMatches(sel, labels)).toBe(true);
    expect(selectorMatches(sel, { ...labels, a: "c" })).toBe(false);
    expect(selectorMatches(sel, { ...labels, c: "d" })).toBe(false);
    expect(selectorMatches(sel, { ...labels, e: "z" })).toBe(false);
    expect(selectorMatches(sel, { ...labels, f: "anything" })).toBe(false);
    const { g: _g, ...noG } = labels;
    expect(selectorMatches(sel, noG)).toBe(false);
    expect(selectorMatches(sel, { ...labels, h: "2" })).toBe(false);
    expect(selectorMatches(sel, { ...labels, n: "3" })).toBe(false);
    expect(selectorMatches(sel, { ...labels, m: "x" })).toBe(false);
    // != and notin also select objects without the label.
    const { c: _c, h: _h, ...noCH } = labels;
    expect(selectorMatches(sel, noCH)).toBe(true);
  });

  it("parse and match like the API server", () => {
    const labels = { app: "web", tier: "front", weight: "5" };
    const yes = ["", "app=web", "app==web", "app!=db", "app in (web,db)", "tier notin (back)", "app", "!missing", "weight>3", "weight<9", "missing!=x", "app=web, tier=front"];
    const no = ["app=db", "app!=web", "app in (db)", "tier notin (front)", "missing", "!app", "weight>5", "missing in (x)"];
    for (const s of yes) expect(labelMatcher(s)(labels), s).toBe(true);
    for (const s of no) expect(labelMatcher(s)(labels), s).toBe(false);
    expect(labelMatcher({ app: "web", tier: "front" })(labels)).toBe(true);
    expect(labelMatcher({ app: "web", tier: "back" })(labels)).toBe(false);
    expect(labelMatcher(undefined)(undefined)).toBe(true);
    // The API server's lexer takes a carriage return as white space.
    expect(labelMatcher("app=web,\r\ntier=front")(labels)).toBe(true);
  });

  it("accepts the record form, the empty selector, and prefixed keys", () => {
    expect(selectorMatches({ app: "web", "example.com/tier": "db" }, { app: "web", "example.com/tier": "db", x: "1" })).toBe(true);
    expect(selectorMatches({ app: "web" }, { app: "db" })).toBe(false);
    expect(selectorMatches("", undefined)).toBe(true);
    expect(selectorMatches("app", undefined)).toBe(false);
    expect(selectorMatches("example.com/tier in (db)", { "example.com/tier": "db" })).toBe(true);
    expect(labelSelectorString({ b: "2", a: "1" })).toBe("a=1,b=2");
    expect(labelSelectorString("a  in (x, y) , !b")).toBe("a in (x,y),!b");
    expect(labelSelectorString("")).toBeUndefined();
  });

  it("rejects malformed selectors", () => {
    const bad = ["a=b,", "a in x", "a in (x", "a=b c", "=b", "a=b/c", "a>x", "a>", "a;b", "a notin", "app in web", "=x", "app=(x)", "a b"];
    // Keys begin and end alphanumeric, set values are separated by commas, and only the API server's white space counts.
    bad.push("-a", "a-=b", "!a/", "a in (x y)", "a=b\f");
    for (const s of bad) expect(() => parseLabelSelector(s), JSON.stringify(s)).toThrow(SelectorParseError);
    expect(() => labelMatcher({ app: "x y" })).toThrow(SelectorParseError);
  });

  it("reads the Kubernetes LabelSelector form: matchLabels and In, NotIn, Exists, DoesNotExist", () => {
    const match = labelMatcher({
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["front", "edge"] },
        { key: "canary", operator: "DoesNotExist" },
        { key: "env", operator: "NotIn", values: ["prod"] },
        { key: "team", operator: "Exists" },
      ],
    });
    expect(match({ app: "web", tier: "edge", team: "t" })).toBe(true);
    expect(match({ app: "web", tier: "back", team: "t" })).toBe(false);
    expect(match({ app: "web", tier: "edge", team: "t", canary: "1" })).toBe(false);
    expect(match({ app: "web", tier: "edge", team: "t", env: "prod" })).toBe(false);
    expect(match({ app: "web", tier: "edge" })).toBe(false);
    expect(match({ app: "db", tier: "edge", team: "t" })).toBe(false);
    expect(labelMatcher({ matchLabels: { app: "web" } })(undefined)).toBe(false);
    expect(labelMatcher({})(undefined)).toBe(true);
    // A plain map whose key happens to be "matchLabels" is still a label map.
    expect(labelMatcher({ matchLabels: "x" })({ matchLabels: "x" })).toBe(true);
    expect(labelSelectorString({ matchLabels: { b: "1", a: "2" }, matchExpressions: [{ key: "c", operator: "NotIn", values: ["x", "y"] }, { key: "d", operator: "DoesNotExist" }] })).toBe(
      "a=2,b=1,c notin (x,y),!d",
    );
    expect(() => labelMatcher({ matchExpressions: [{ key: "a", operator: "In" }] })).toThrow(/needs values/);
    expect(() => labelMatcher({ matchExpressions: [{ key: "a", operator: "Gt" as "In", values: ["1"] }] })).toThrow(/unknown operator/);
    expect(() => labelMatcher({ matchExpressions: [{ key: "a", operator: "Gt" as "In", values: ["1"] }] })).toThrow(SelectorParseError);
    expect(() => labelMatcher({ matchExpressions: [{ key: "a", operator: "In", values: ["x y"] }] })).toThrow(SelectorParseError);
  });

  it("parses each string once, and hands out requirements the caller may change", () => {
    expect(parseLabelSelector("app=web,tier")).toBe(parseLabelSelector("app=web,tier"));
    const reqs = parseLabelRequirements("app in (web,db)");
    expect(reqs).toEqual([{ key: "app", operator: "in", values: ["web", "db"] }]);
    reqs[0]!.values.push("cache");
    expect(parseLabelSelector("app in (web,db)").requirements[0]!.values).toEqual(["web", "db"]);
  });

  it("is the one implementation behind the names cache, client and predicate export", () => {
    expect(labels.parseLabelSelector).toBe(parseLabelSelector);
    expect(cache.parseLabelSelector).toBe(parseLabelSelector);
    expect(cache.SelectorParseError).toBe(SelectorParseError);
    expect(client.SelectorParseError).toBe(SelectorParseError);
    expect(client.labelMatcher).toBe(labelMatcher);
    expect(predicate.labelMatcher).toBe(labelMatcher);
    // client.parseLabelRequirements returns the requirements as an array.
    expect(client.parseLabelRequirements).toBe(parseLabelRequirements);
    expect(client.parseLabelRequirements({ b: "1", a: "2" })).toEqual([
      { key: "a", operator: "=", values: ["2"] },
      { key: "b", operator: "=", values: ["1"] },
    ]);
  });
});

describe("field selectors", () => {
  it("parses field selectors with escapes", () => {
    expect(parseFieldSelector("metadata.name=a\\,b,status.phase!=Running")).toEqual([
      { field: "metadata.name", operator: "=", value: "a,b" },
      { field: "status.phase", operator: "!=", value: "Running" },
    ]);
    expect(parseFieldSelector("metadata.name=a,status.phase!=Running,spec.x==a\\,b")).toEqual([
      { field: "metadata.name", operator: "=", value: "a" },
      { field: "status.phase", operator: "!=", value: "Running" },
      { field: "spec.x", operator: "=", value: "a,b" },
    ]);
    expect(parseFieldSelector(undefined)).toEqual([]);
    expect(fieldSelectorString({ "metadata.name": "x,y" })).toBe("metadata.name=x\\,y");
    expect(() => parseFieldSelector("nonsense")).toThrow(SelectorParseError);
  });

  it("forms what a request carries: strings as written for the server to judge, records in key order and escaped", () => {
    expect(formatSelector(" app in (a,b) ")).toBe("app in (a,b)");
    expect(formatSelector({ b: "1", a: "2" })).toBe("a=2,b=1");
    expect(formatSelector({})).toBeUndefined();
    expect(fieldSelectorOf({ fieldSelector: " metadata.name=a ", matchingFields: { "spec.x": "a,b=c" } })).toBe("metadata.name=a,spec.x=a\\,b\\=c");
    expect(fieldSelectorOf({ fieldSelector: {}, matchingFields: {} })).toBeUndefined();
  });

  it("matches objects by metadata.name, metadata.namespace and any dotted path", () => {
    const obj = { metadata: { name: "a", namespace: "ns" }, spec: { x: 3, nested: { y: "v" } } };
    expect(fieldValue(obj, "spec.nested.y")).toBe("v");
    expect(fieldValue(obj, "spec.x")).toBe("3");
    expect(fieldValue(obj, "spec.missing.deeper")).toBe("");
    expect(fieldMatcher("metadata.name=a,metadata.namespace!=other")(obj)).toBe(true);
    expect(fieldMatcher({ "metadata.namespace": "other" })(obj)).toBe(false);
    expect(fieldMatcher("spec.x=3,spec.nested.y==v")(obj)).toBe(true);
    expect(fieldMatcher("spec.missing=")(obj)).toBe(true);
    expect(fieldMatcher(undefined)(obj)).toBe(true);
  });
});
