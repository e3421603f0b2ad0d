import { SelectorParseError } from "./errors.ts";

/** A label selector as a string ("app=web,tier!=db") or as equality pairs. */
export type LabelSelector = string | Record<string, string>;

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** A metav1.LabelSelector: every matchLabels entry and every expression must hold. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export interface ParsedLabelSelector {
  readonly requirements: readonly LabelRequirement[];
  /** True for the empty selector, which matches everything. */
  readonly empty: boolean;
  matches(labels: Record<string, string> | undefined): boolean;
  /** The wire form, for the API server's labelSelector parameter. */
  toString(): string;
}

// apimachinery's rules, so that a selector refused by the API server is refused here too (by the cache and the fake
// client, which never ask it): a key is [DNS-subdomain prefix "/"] name, the name and a value at most 63 characters of
// these, beginning and ending alphanumeric (a value may be empty).
const KEY_CHAR = /[A-Za-z0-9._\-/]/;
const NAME = /^[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NAME = 63;
const MAX_PREFIX = 253;
// Go's strconv.ParseInt(s, 10, 64): an optional sign, decimal digits, within int64.
const INTEGER = /^[+-]?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInt64(text: string): bigint | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = BigInt(text);
  return n < INT64_MIN || n > INT64_MAX ? undefined : n;
}

function isLabelKey(key: string): boolean {
  const parts = key.split("/");
  if (parts.length > 2) return false;
  const name = parts[parts.length - 1]!;
  if (parts.length === 2 && !(parts[0]!.length <= MAX_PREFIX && DNS_SUBDOMAIN.test(parts[0]!))) return false;
  return name.length <= MAX_NAME && NAME.test(name);
}

function checkKey(key: string, selector: string): string {
  if (!isLabelKey(key)) throw new SelectorParseError(`invalid label key "${key}" in selector "${selector}"`);
  return key;
}

type Token =
  | { t: "id"; v: string }
  | { t: "op"; v: "=" | "==" | "!=" | "!" | ">" | "<" }
  | { t: "("; v: "(" }
  | { t: ")"; v: ")" }
  | { t: ","; v: "," };

function lex(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    // The API server's lexer skips exactly these.
    if (c === " " || c === "\t" || c === "\n" || c === "\r") {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ t: c, v: c } as Token);
      i++;
    } else if (c === "=") {
      if (input[i + 1] === "=") {
        tokens.push({ t: "op", v: "==" });
        i += 2;
      } else {
        tokens.push({ t: "op", v: "=" });
        i++;
      }
    } else if (c === "!") {
      if (input[i + 1] === "=") {
        tokens.push({ t: "op", v: "!=" });
        i += 2;
      } else {
        tokens.push({ t: "op", v: "!" });
        i++;
      }
    } else if (c === ">" || c === "<") {
      tokens.push({ t: "op", v: c });
      i++;
    } else if (KEY_CHAR.test(c)) {
      let j = i + 1;
      while (j < input.length && KEY_CHAR.test(input[j]!)) j++;
      tokens.push({ t: "id", v: input.slice(i, j) });
      i = j;
    } else {
      throw new SelectorParseError(`unexpected character ${JSON.stringify(c)} at ${i} in label selector "${input}"`);
    }
  }
  return tokens;
}

function checkValue(value: string, selector: string): string {
  if (value.length > MAX_NAME || !VALUE.test(value)) throw new SelectorParseError(`invalid label value "${value}" in selector "${selector}"`);
  return value;
}

/** Parses the string form: `a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a, a>1, a<1`, terms joined by commas. */
function parseString(selector: string): LabelRequirement[] {
  const tokens = lex(selector);
  const requirements: LabelRequirement[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new SelectorParseError(`${what} in label selector "${selector}"`);
  };
  const key = (): string => {
    const tok = tokens[i++];
    if (!tok || tok.t !== "id") return fail("expected a label key");
    if (!isLabelKey(tok.v)) return fail(`invalid label key "${tok.v}"`);
    return tok.v;
  };
  // After "(": values separated by commas up to ")"; an empty element (as in "(a,,b)" or "()") is the empty value.
  const valueSet = (): string[] => {
    const values: string[] = [];
    let expectValue = true;
    for (;;) {
      const tok = tokens[i++];
      if (!tok) return fail("unterminated value set");
      if (tok.t === "id" && expectValue) {
        values.push(checkValue(tok.v, selector));
        expectValue = false;
      } else if (tok.t === "," || tok.t === ")") {
        if (expectValue) values.push("");
        if (tok.t === ")") return values;
        expectValue = true;
      } else {
        return fail(`unexpected "${tok.v}" in value set`);
      }
    }
  };
  while (i < tokens.length) {
    const first = tokens[i]!;
    if (first.t === "op" && first.v === "!") {
      i++;
      requirements.push({ key: key(), operator: "!", values: [] });
    } else {
      const k = key();
      const next = tokens[i];
      if (!next || next.t === ",") {
        requirements.push({ key: k, operator: "exists", values: [] });
      } else if (next.t === "op" && next.v !== "!") {
        i++;
        const valueToken = tokens[i];
        let value = "";
        // "a=" selects an empty value; the value token is absent then.
        if (valueToken && valueToken.t === "id") {
          value = checkValue(valueToken.v, selector);
          i++;
        }
        if ((next.v === ">" || next.v === "<") && parseInt64(value) === undefined) fail(`"${k}${next.v}${value}" needs an integer`);
        const operator: LabelOperator = next.v === "==" ? "=" : next.v;
        requirements.push({ key: k, operator, values: [value] });
      } else if (next.t === "id" && (next.v === "in" || next.v === "notin")) {
        i++;
        if (tokens[i]?.t !== "(") fail(`expected "(" after ${next.v}`);
        i++;
        requirements.push({ key: k, operator: next.v, values: valueSet() });
      } else {
        fail(`unexpected "${next.v}" after "${k}"`);
      }
    }
    if (i < tokens.length) {
      if (tokens[i]!.t !== ",") fail(`expected "," before "${tokens[i]!.v}"`);
      i++;
      if (i === tokens.length) fail("trailing comma");
    }
  }
  return requirements;
}

/** Equality on every entry, in key order (record keys are taken as given; values are checked). */
function setRequirements(set: Record<string, string>): LabelRequirement[] {
  return Object.keys(set)
    .sort()
    .map((key): LabelRequirement => ({ key, operator: "=", values: [checkValue(set[key]!, key)] }));
}

function isSpec(s: Record<string, string> | LabelSelectorSpec): s is LabelSelectorSpec {
  // A plain label map has only string values, so an object under either key marks a LabelSelector.
  const r = s as Record<string, unknown>;
  return (typeof r.matchLabels === "object" && r.matchLabels !== null) || Array.isArray(r.matchExpressions);
}

function specRequirements(spec: LabelSelectorSpec): LabelRequirement[] {
  const requirements = setRequirements(spec.matchLabels ?? {});
  for (const key of Object.keys(spec.matchLabels ?? {})) checkKey(key, "matchLabels");
  for (const r of spec.matchExpressions ?? []) {
    checkKey(r.key, "matchExpressions");
    switch (r.operator) {
      case "In":
      case "NotIn":
        if (!r.values?.length) throw new SelectorParseError(`label selector: operator ${r.operator} on "${r.key}" needs values`);
        requirements.push({ key: r.key, operator: r.operator === "In" ? "in" : "notin", values: r.values.map((v) => checkValue(v, r.key)) });
        break;
      case "Exists":
      case "DoesNotExist":
        if (r.values?.length) throw new SelectorParseError(`label selector: operator ${r.operator} on "${r.key}" takes no values`);
        requirements.push({ key: r.key, operator: r.operator === "Exists" ? "exists" : "!", values: [] });
        break;
      default:
        throw new SelectorParseError(`label selector: unknown operator ${String(r.operator)} on "${r.key}"`);
    }
  }
  return requirements;
}

function requirementMatcher(req: LabelRequirement): (labels: Record<string, string>) => boolean {
  const { key } = req;
  switch (req.operator) {
    case "=": {
      const v = req.values[0]!;
      return (labels) => labels[key] === v && Object.hasOwn(labels, key);
    }
    case "!=": {
      const v = req.values[0]!;
      return (labels) => !Object.hasOwn(labels, key) || labels[key] !== v;
    }
    case "in": {
      const set = new Set(req.values);
      return (labels) => Object.hasOwn(labels, key) && set.has(labels[key]!);
    }
    case "notin": {
      const set = new Set(req.values);
      return (labels) => !Object.hasOwn(labels, key) || !set.has(labels[key]!);
    }
    case "exists":
      return (labels) => Object.hasOwn(labels, key);
    case "!":
      return (labels) => !Object.hasOwn(labels, key);
    case ">":
    case "<": {
      // BigInt: a Number loses digits past 2^53, where int64 label values still compare exactly in Go.
      const bound = parseInt64(req.values[0]!);
      const greater = req.operator === ">";
      return (labels) => {
        const v = Object.hasOwn(labels, key) ? parseInt64(labels[key]!) : undefined;
        if (v === undefined || bound === undefined) return false;
        return greater ? v > bound : v < bound;
      };
    }
  }
}

function formatRequirement(r: LabelRequirement): string {
  switch (r.operator) {
    case "exists":
      return r.key;
    case "!":
      return `!${r.key}`;
    case "in":
    case "notin":
      // A set, as in Go: sorted and without repeats, so equal selectors print the same.
      return `${r.key} ${r.operator} (${[...new Set(r.values)].sort().join(",")})`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ""}`;
  }
}

const EMPTY_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function compile(requirements: LabelRequirement[]): ParsedLabelSelector {
  // The printed form is in key order (a stable sort, as Go's parser sorts), so equal selectors print the same; the
  // requirements keep the order they were written in.
  const text = requirements
    .map((r, i) => ({ r, i }))
    .sort((a, b) => (a.r.key < b.r.key ? -1 : a.r.key > b.r.key ? 1 : a.i - b.i))
    .map(({ r }) => formatRequirement(r))
    .join(",");
  const matchers = requirements.map(requirementMatcher);
  const matches =
    matchers.length === 0
      ? () => true
      : matchers.length === 1
        ? (labels: Record<string, string> | undefined) => matchers[0]!(labels ?? EMPTY_LABELS)
        : (labels: Record<string, string> | undefined) => {
            const l = labels ?? EMPTY_LABELS;
            for (const m of matchers) if (!m(l)) return false;
            return true;
          };
  return Object.freeze({ requirements, empty: matchers.length === 0, matches, toString: () => text });
}

const EVERYTHING = compile([]);

// Controllers list with the same few selectors over and over: parse each string once.
const parsedStrings = new Map<string, ParsedLabelSelector>();
const PARSE_CACHE_LIMIT = 512;

/**
 * Parses a label selector: the string form, the record form (equality on every entry) or a LabelSelector with
 * matchLabels and matchExpressions. Undefined selects everything. Throws SelectorParseError for bad syntax.
 */
export function parseLabelSelector(selector: LabelSelector | LabelSelectorSpec | undefined): ParsedLabelSelector {
  if (selector === undefined) return EVERYTHING;
  if (typeof selector !== "string") return compile(isSpec(selector) ? specRequirements(selector) : setRequirements(selector));
  const cached = parsedStrings.get(selector);
  if (cached) return cached;
  const parsed = compile(parseString(selector));
  if (parsedStrings.size >= PARSE_CACHE_LIMIT) parsedStrings.clear();
  parsedStrings.set(selector, parsed);
  return parsed;
}

/** A selector's requirements as a fresh array the caller may change. */
export function parseLabelRequirements(selector: LabelSelector | LabelSelectorSpec | undefined): LabelRequirement[] {
  return parseLabelSelector(selector).requirements.map((r) => ({ ...r, values: [...r.values] }));
}

/** A predicate over an object's labels; throws SelectorParseError for bad syntax. */
export function labelMatcher(selector: LabelSelector | LabelSelectorSpec | undefined): (labels: Record<string, string> | undefined) => boolean {
  return parseLabelSelector(selector).matches;
}

/** Whether labels satisfy a selector in any of its forms. */
export function selectorMatches(
  selector: LabelSelector | LabelSelectorSpec | ParsedLabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (selector === undefined) return true;
  const parsed = isParsed(selector) ? selector : parseLabelSelector(selector);
  return parsed.matches(labels);
}

function isParsed(s: LabelSelector | LabelSelectorSpec | ParsedLabelSelector): s is ParsedLabelSelector {
  return typeof s === "object" && typeof (s as ParsedLabelSelector).matches === "function";
}

/** The wire form of a label selector, checked and normalized, or undefined for the empty one. */
export function labelSelectorString(selector: LabelSelector | LabelSelectorSpec | undefined): string | undefined {
  if (selector === undefined) return undefined;
  return parseLabelSelector(selector).toString() || undefined;
}

/**
 * A selector in its wire form without parsing it ("a=b,c!=d"; a record becomes equality terms in key order), for a
 * request to the API server, which judges the syntax itself and answers bad syntax with 400 BadRequest.
 */
export function formatSelector(selector: LabelSelector | undefined): string | undefined {
  if (selector === undefined) return undefined;
  if (typeof selector === "string") return selector.trim() || undefined;
  // The string form has no escapes: a value holding "," or "=" would send other terms than the record says.
  const terms = Object.keys(selector)
    .sort()
    .map((k) => `${k}=${checkValue(selector[k]!, k)}`);
  return terms.length ? terms.join(",") : undefined;
}
