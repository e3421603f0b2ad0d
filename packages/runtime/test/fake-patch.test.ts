import { describe, expect, it } from "vitest";
import { applyJsonPatch, applyMergePatch, createMergePatch, JsonPatchError } from "../src/client/index.ts";

// The patch algorithms the fake client applies, checked against the examples of their RFCs.

describe("RFC 7386 merge patch", () => {
  // The examples of sections 1 and 3, then Appendix A's table.
  const cases: [unknown, unknown, unknown][] = [
    [{ a: "b", c: { d: "e", f: "g" } }, { a: "z", c: { f: null } }, { a: "z", c: { d: "e" } }],
    [
      { title: "Goodbye!", author: { givenName: "John", familyName: "Doe" }, tags: ["example", "sample"], content: "This will be unchanged" },
      { title: "Hello!", phoneNumber: "+01-123-456-7890", author: { familyName: null }, tags: ["example"] },
      { title: "Hello!", author: { givenName: "John" }, tags: ["example"], content: "This will be unchanged", phoneNumber: "+01-123-456-7890" },
    ],
    [{ a: "b" }, { a: "c" }, { a: "c" }],
    [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
    [{ a: "b" }, { a: null }, {}],
    [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
    [{ a: ["b"] }, { a: "c" }, { a: "c" }],
    [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
    [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
    [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
    [["a", "b"], ["c", "d"], ["c", "d"]],
    [{ a: "b" }, ["c"], ["c"]],
    [{ a: "foo" }, null, null],
    [{ a: "foo" }, "bar", "bar"],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: "b", c: null }, { a: "b" }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  it.each(cases)("%j + %j = %j", (target, patch, result) => {
    const before = JSON.stringify(target);
    expect(applyMergePatch(target, patch)).toEqual(result);
    expect(JSON.stringify(target)).toBe(before);
  });

  it("creates the patch between two objects, and applying it gives the second", () => {
    const original = { metadata: { labels: { a: "1", b: "2" } }, spec: { list: [1, 2], keep: true, drop: "x" } };
    const modified = { metadata: { labels: { a: "1", c: "3" } }, spec: { list: [1, 2, 3], keep: true } };
    const patch = createMergePatch(original, modified);
    expect(patch).toEqual({ metadata: { labels: { b: null, c: "3" } }, spec: { list: [1, 2, 3], drop: null } });
    expect(applyMergePatch(original, patch)).toEqual(modified);
    expect(createMergePatch(original, structuredClone(original))).toBeUndefined();
  });
});

describe("RFC 6902 JSON patch", () => {
  const ok: [string, unknown, unknown[], unknown][] = [
    ["A.1 add an object member", { foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }], { baz: "qux", foo: "bar" }],
    ["A.2 add an array element", { foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }], { foo: ["bar", "qux", "baz"] }],
    ["A.3 remove an object member", { baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }], { foo: "bar" }],
    ["A.4 remove an array element", { foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }], { foo: ["bar", "baz"] }],
    ["A.5 replace a value", { baz: "qux", foo: "bar" }, [{ op: "replace", path: "/baz", value: "boo" }], { baz: "boo", foo: "bar" }],
    [
      "A.6 move a value",
      { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
      [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
      { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
    ],
    ["A.7 move an array element", { foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }], { foo: ["all", "cows", "eat", "grass"] }],
    ["A.8 test a value", { baz: "qux", foo: ["a", 2, "c"] }, [{ op: "test", path: "/baz", value: "qux" }, { op: "test", path: "/foo/1", value: 2 }], { baz: "qux", foo: ["a", 2, "c"] }],
    ["A.10 add a nested member object", { foo: "bar" }, [{ op: "add", path: "/child", value: { grandchild: {} } }], { foo: "bar", child: { grandchild: {} } }],
    ["A.14 ~ escape ordering", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: 10 }], { "/": 9, "~1": 10 }],
    ["A.16 add an array value", { foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: ["abc", "def"] }], { foo: ["bar", ["abc", "def"]] }],
    ["copy", { a: { b: [1] } }, [{ op: "copy", from: "/a", path: "/c" }, { op: "add", path: "/c/b/-", value: 2 }], { a: { b: [1] }, c: { b: [1, 2] } }],
    ["replace the root", { a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }], { b: 2 }],
  ];
  it.each(ok)("%s", (_name, doc, ops, result) => {
    const before = JSON.stringify(doc);
    expect(applyJsonPatch(doc, ops as never)).toEqual(result);
    expect(JSON.stringify(doc)).toBe(before);
  });

  const bad: [string, unknown, unknown[]][] = [
    ["A.9 a failed test", { baz: "qux" }, [{ op: "test", path: "/baz", value: "bar" }]],
    ["A.12 add to a nonexistent target", { foo: "bar" }, [{ op: "add", path: "/baz/bat", value: "qux" }]],
    ["A.15 comparing strings and numbers", { "/": 9, "~1": 10 }, [{ op: "test", path: "/~01", value: "10" }]],
    ["an out-of-bounds index", { a: [1] }, [{ op: "add", path: "/a/5", value: 2 }]],
    ["removing what is not there", { a: 1 }, [{ op: "remove", path: "/b" }]],
    ["replacing what is not there", { a: 1 }, [{ op: "replace", path: "/b", value: 1 }]],
    ["moving into a child of itself", { a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/b/c" }]],
    ["an unknown op", { a: 1 }, [{ op: "frobnicate", path: "/a" }]],
    ["a leading-zero index", { a: [1, 2] }, [{ op: "remove", path: "/a/01" }]],
  ];
  it.each(bad)("rejects %s", (_name, doc, ops) => {
    expect(() => applyJsonPatch(doc, ops as never)).toThrow(JsonPatchError);
  });
});
