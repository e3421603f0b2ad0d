import { describe, expect, it } from "vitest";
import {
  fieldMatcher,
  fieldSelectorString,
  labelMatcher,
  labelSelectorString,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
} from "../src/labels/index.ts";

// apimachinery's tables for pkg/labels and pkg/fields (selector_test.go), run against the one selector implementation
// the cache, the clients and the fake client share. Go's expected selectors are written here in their printed form.
// Tables about Go internals (the lexer's tokens, Add, safeSort, RequiresExactMatch, Transform) have no counterpart.
// Deliberate differences: "==" prints as "=" (one operator, same meaning), and an empty selector prints as
// undefined (no labelSelector parameter at all).

const bad = (parse: () => unknown) => expect(parse).toThrow(SelectorParseError);

describe("apimachinery labels: TestSelectorParse, TestDeterministicParse, TestEverything", () => {
  it.each(["x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1", "x>1,z<5"])("parses %j and prints it back", (s) => {
    expect(parseLabelSelector(s).toString()).toBe(s.replaceAll(" ", ""));
  });
  it.each(["x=a||y=b", "x==a==b", "!x=a", "x<a"])("refuses %j", (s) => bad(() => parseLabelSelector(s)));
  it("prints equal selectors the same", () => {
    expect(parseLabelSelector("x=a,a=x").toString()).toBe(parseLabelSelector("a=x,x=a").toString());
  });
  it("selects everything with the empty selector", () => {
    expect(parseLabelSelector(undefined).matches({ x: "y" })).toBe(true);
    expect(parseLabelSelector(undefined).empty).toBe(true);
    expect(parseLabelSelector({}).empty).toBe(true);
  });
});

describe("apimachinery labels: TestSelectorMatches, TestSetMatches", () => {
  const labelset = { foo: "bar", baz: "blah" };
  it.each([
    ["", { x: "y" }],
    ["x=y", { x: "y" }],
    ["x=y,z=w", { x: "y", z: "w" }],
    ["x!=y,z!=w", { x: "z", z: "a" }],
    ["notin=in", { notin: "in" }],
    ["x", { x: "z" }],
    ["!x", { y: "z" }],
    ["x>1", { x: "2" }],
    ["x<1", { x: "0" }],
    ["foo=bar", labelset],
    ["baz=blah", labelset],
    ["foo=bar,baz=blah", labelset],
  ] as [string, Record<string, string>][])("%j matches %j", (s, labels) => expect(labelMatcher(s)(labels)).toBe(true));
  it.each([
    ["x=z", {}],
    ["x=y", { x: "z" }],
    ["x=y,z=w", { x: "w", z: "w" }],
    ["x!=y,z!=w", { x: "z", z: "w" }],
    ["x", { y: "z" }],
    ["!x", { x: "z" }],
    ["x>1", { x: "0" }],
    ["x<1", { x: "2" }],
    ["foo=blah", labelset],
    ["baz=bar", labelset],
    ["foo=bar,foobar=bar,baz=blah", labelset],
  ] as [string, Record<string, string>][])("%j does not match %j", (s, labels) => expect(labelMatcher(s)(labels)).toBe(false));
  it.each<Record<string, string>>([{}, { foo: "bar" }, { baz: "blah" }, { foo: "bar", baz: "blah" }])("the record %j matches", (set) => {
    expect(labelMatcher(set)(labelset)).toBe(true);
  });
});

describe("apimachinery labels: TestRequirementConstructor", () => {
  const long = "a".repeat(254);
  // Equality with two values (x5) has no form here; the rest go through a LabelSelector or the string form.
  it.each([
    ["x3 In foo", { matchExpressions: [{ key: "x3", operator: "In", values: ["foo"] }] }],
    ["x4 NotIn foo", { matchExpressions: [{ key: "x4", operator: "NotIn", values: ["foo"] }] }],
    ["x6 Exists", { matchExpressions: [{ key: "x6", operator: "Exists" }] }],
    ["x7 DoesNotExist", { matchExpressions: [{ key: "x7", operator: "DoesNotExist" }] }],
    ["x9 In bar", { matchExpressions: [{ key: "x9", operator: "In", values: ["bar"] }] }],
    ["x10 In bar", { matchExpressions: [{ key: "x10", operator: "In", values: ["bar"] }] }],
    ["x11>1", "x11>1"],
    ["x12<6", "x12<6"],
  ] as const)("accepts %s", (_name, selector) => expect(() => parseLabelSelector(selector as never)).not.toThrow());
  it.each([
    ["x1 In without values", { matchExpressions: [{ key: "x1", operator: "In" }] }],
    ["x2 NotIn with no values", { matchExpressions: [{ key: "x2", operator: "NotIn", values: [] }] }],
    ["x8 Exists with a value", { matchExpressions: [{ key: "x8", operator: "Exists", values: ["foo"] }] }],
    ["DoesNotExist with a value", { matchExpressions: [{ key: "x8", operator: "DoesNotExist", values: ["foo"] }] }],
    ["x13 Gt without a value", "x13>"],
    ["x14 Gt a word", "x14>bar"],
    ["x15 Lt a word", "x15<bar"],
    ["a key of 254 characters", { matchExpressions: [{ key: long, operator: "Exists" }] }],
    ["a key of 254 characters in the string form", long],
    ["x16 a value of 254 characters", `x16=${long}`],
    ["x17 a value with a space", { x17: "a b" }],
    ["x18 an unsupported operator", { matchExpressions: [{ key: "x18", operator: "unsupportedOp", values: [] }] }],
  ] as const)("refuses %s", (_name, selector) => bad(() => parseLabelSelector(selector as never)));
});

describe("apimachinery labels: TestToString, TestSetSelectorString", () => {
  it.each([
    ["x in (def,abc),y notin (jkl),z", "x in (abc,def),y notin (jkl),z"],
    ["x notin (abc,def),y!=jkl,!z", "x notin (abc,def),y!=jkl,!z"],
    ["x notin (abc),y in (jkl,mno),z notin ()", "x notin (abc),y in (jkl,mno),z notin ()"],
    ["x=abc,y==jkl,z!=a,z", "x=abc,y=jkl,z!=a,z"],
    ["x>2,y<8,z", "x>2,y<8,z"],
  ])("prints %j as %j", (s, printed) => expect(parseLabelSelector(s).toString()).toBe(printed));
  it("refuses the trailing comma Go's test builds from an empty requirement", () => bad(() => parseLabelSelector("x in (abc,def),")));
  it.each([
    [{}, undefined],
    [{ app: "foo" }, "app=foo"],
    [{ app: "foo", a: "b" }, "a=b,app=foo"],
  ])("prints the record %j as %j", (set, printed) => expect(labelSelectorString(set)).toBe(printed));
  it("refuses a record value of 64 characters (TestValidatedSelectorFromSet)", () => {
    expect(labelSelectorString({ key: "val" })).toBe("key=val");
    bad(() => labelSelectorString({ Key: "axahm2EJ8Phiephe2eixohbee9eGeiyees1thuozi1xoh0GiuH3diewi8iem7Nui" }));
  });
});

describe("apimachinery labels: TestRequirementSelectorMatching", () => {
  it.each([
    ["x in (foo),y notin (alpha)", { x: "foo", y: "baz" }, true],
    ["x in (foo),y in (alpha)", { x: "foo", y: "baz" }, false],
    ["x notin (),y", { y: "" }, true],
    ["!x,y", { y: "" }, true],
    ["x notin (),!y", { y: "" }, false],
    ["x in ()", { y: "baz" }, false],
    ["z>1", { z: "2" }, true],
    ["z>1", { z: "v2" }, false],
  ] as [string, Record<string, string>, boolean][])("%j on %j is %j", (s, labels, match) => expect(labelMatcher(s)(labels)).toBe(match));
});

describe("apimachinery labels: TestSetSelectorParser", () => {
  it.each([
    ["", ""],
    ["\rx", "x"],
    ["this-is-a-dns.domain.com/key-with-dash", "this-is-a-dns.domain.com/key-with-dash"],
    ["this-is-another-dns.domain.com/key-with-dash in (so,what)", "this-is-another-dns.domain.com/key-with-dash in (so,what)"],
    ["0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)", "0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)"],
    ["foo  in\t (abc)", "foo in (abc)"],
    ["x notin\n (abc)", "x notin (abc)"],
    ["x  notin\t\t\t(abc,def)", "x notin (abc,def)"],
    ["x in (abc,def)", "x in (abc,def)"],
    ["x in (abc,)", "x in (,abc)"],
    ["x in (abc,abc)", "x in (abc)"],
    ["x in ()", "x in ()"],
    ["x in (a,,)", "x in (,a)"],
    ["x in (a,,,)", "x in (,a)"],
    ["x in (a,,,,,,)", "x in (,a)"],
    ["x in (a,,a,,a,,a,,)", "x in (,a)"],
    ["x notin (abc,,def),bar,z in (),w", "bar,w,x notin (,abc,def),z in ()"],
    ["x,y in (a)", "x,y in (a)"],
    ["x=a", "x=a"],
    ["x>1", "x>1"],
    ["x<7", "x<7"],
    ["x=a,y!=b", "x=a,y!=b"],
    ["x=a,y!=b,z in (h,i,j)", "x=a,y!=b,z in (h,i,j)"],
    ["x notin ( )", "x notin ()"],
    ["x notin (, a)", "x notin (,a)"],
    ["a ", "a"],
    ["a in (x,y,notin, z,in)", "a in (in,notin,x,y,z)"],
  ])("parses %j as %j", (s, printed) => expect(parseLabelSelector(s).toString()).toBe(printed));
  it.each(["x=a||y=b", "x,,y", ",x,y", "x nott in (y)", "a in (xyz),", "a in (xyz)b notin ()", "a in (xyz abc)", "a notin(", "a (", "("])(
    "refuses %j",
    (s) => bad(() => parseLabelSelector(s)),
  );
});

describe("int64 comparisons, as Go's strconv.ParseInt makes them", () => {
  it.each([
    ["x>9007199254740992", { x: "9007199254740993" }, true],
    ["x<9007199254740993", { x: "9007199254740992" }, true],
    ["x<9007199254740993", { x: "9007199254740993" }, false],
    ["x>1", { x: "+2" }, true],
    // Past int64 a label value is no integer, so it satisfies neither bound.
    ["x<9223372036854775807", { x: "9223372036854775808" }, false],
    ["x>0", { x: "9223372036854775808" }, false],
  ] as [string, Record<string, string>, boolean][])("%j on %j is %j", (s, labels, match) => expect(labelMatcher(s)(labels)).toBe(match));
  // A value begins alphanumeric, so Go refuses a negative bound in the string form too.
  it("refuses a negative bound", () => bad(() => parseLabelSelector("x>-1")));
  it("refuses a bound past int64", () => bad(() => parseLabelSelector("x>9223372036854775808")));
});

describe("apimachinery fields: TestSplitTerms, TestSplitTerm, TestEscapeValue", () => {
  it.each([
    ["a=avalue", [["a", "=", "avalue"]]],
    ["a=avalue,b=bvalue", [["a", "=", "avalue"], ["b", "=", "bvalue"]]],
    ["a=avalue,b==bvalue,c!=cvalue", [["a", "=", "avalue"], ["b", "=", "bvalue"], ["c", "!=", "cvalue"]]],
    ["", []],
    // Go skips the empty terms its splitter returns.
    ["a=a,", [["a", "=", "a"]]],
    [",a=a", [["a", "=", "a"]]],
    ["k=\\,,k2=v2", [["k", "=", ","], ["k2", "=", "v2"]]],
    ["k=\\\\,k2=v2", [["k", "=", "\\"], ["k2", "=", "v2"]]],
    ["k=\\\\\\,,k2=v2", [["k", "=", "\\,"], ["k2", "=", "v2"]]],
    ["함=수,목=록", [["함", "=", "수"], ["목", "=", "록"]]],
    ["b==value", [["b", "=", "value"]]],
    ["k=\\=", [["k", "=", "="]]],
  ])("parses %j", (s, terms) => {
    expect(parseFieldSelector(s)).toEqual(terms.map(([field, operator, value]) => ({ field, operator, value })));
  });
  it.each(["a", "k=\\a\\b\\", "k=\\", "k=\\\\\\a\\b\\=\\,\\"])("refuses %j", (s) => bad(() => parseFieldSelector(s)));
  it.each([
    ["a", "a"],
    ["=", "\\="],
    [",", "\\,"],
    ["\\", "\\\\"],
    ["\\=\\,\\", "\\\\\\=\\\\\\,\\\\"],
  ])("escapes %j as %j and back", (value, escaped) => {
    expect(fieldSelectorString({ k: value })).toBe(`k=${escaped}`);
    expect(parseFieldSelector(`k=${escaped}`)[0]!.value).toBe(value);
  });
  it("escapes the empty value as itself", () => expect(parseFieldSelector("k=")).toEqual([{ field: "k", operator: "=", value: "" }]));
  it.each(["k=\\", "k=\\\\\\", "k=\\a"])("refuses the invalid escape in %j", (s) => bad(() => parseFieldSelector(s)));
});

describe("apimachinery fields: TestSelectorParse, TestDeterministicParse, TestSelectorMatches, TestSetMatches", () => {
  it.each(["x=a,y=b,z=c", "x!=a,y=b", "x=a||y\\=b", "x=a\\=\\=b"])("parses %j and prints it back", (s) => {
    expect(fieldSelectorString(s)).toBe(s);
  });
  it("parses the empty selector", () => expect(fieldSelectorString("")).toBeUndefined());
  it.each(["x=a||y=b", "x==a==b", "x=a,b", "x in (a)", "x in (a,b,c)", "x"])("refuses %j", (s) => bad(() => parseFieldSelector(s)));
  it("prints equal selectors the same", () => expect(fieldSelectorString("x=a,a=x")).toBe(fieldSelectorString("a=x,x=a")));
  const fieldset = { foo: "bar", baz: "blah", complex: "=value\\,\\" };
  it.each([
    ["", { x: "y" }],
    ["x=y", { x: "y" }],
    ["x=y,z=w", { x: "y", z: "w" }],
    ["x!=y,z!=w", { x: "z", z: "a" }],
    ["notin=in", { notin: "in" }],
    ["foo=bar", fieldset],
    ["baz=blah", fieldset],
    ["foo=bar,baz=blah", fieldset],
    ["foo=bar,baz=blah,complex=\\=value\\\\\\,\\\\", fieldset],
  ] as [string, Record<string, string>][])("%j matches %j", (s, obj) => expect(fieldMatcher(s)(obj)).toBe(true));
  it.each([
    ["x=y", { x: "z" }],
    ["x=y,z=w", { x: "w", z: "w" }],
    ["x!=y,z!=w", { x: "z", z: "w" }],
    ["foo=blah", fieldset],
    ["baz=bar", fieldset],
    ["foo=bar,foobar=bar,baz=blah", fieldset],
  ] as [string, Record<string, string>][])("%j does not match %j", (s, obj) => expect(fieldMatcher(s)(obj)).toBe(false));
  const labelset = { foo: "bar", baz: "blah" };
  it.each<Record<string, string>>([{}, { foo: "bar" }, { baz: "blah" }, { foo: "bar", baz: "blah" }])("the record %j matches", (set) => expect(fieldMatcher(set)(labelset)).toBe(true));
  it.each<Record<string, string>>([{ foo: "=blah" }, { baz: "=bar" }, { foo: "=bar", foobar: "bar", baz: "blah" }])("the record %j does not match", (set) => {
    expect(fieldMatcher(set)(labelset)).toBe(false);
  });
});
