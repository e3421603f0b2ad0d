import type { FieldSelector, LabelSelector } from "../client/interfaces.ts";

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

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

export class SelectorParseError extends Error {
  override readonly name = "SelectorParseError";
}

// Label keys are [prefix/]name; values are at most 63 of these characters. Validation beyond the character set is
// the API server's job: a selector it would reject can only select nothing here.
const KEY_CHAR = /[A-Za-z0-9._\-/]/;
const VALUE_CHAR = /[A-Za-z0-9._-]/;

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
    if (c === " " || c === "\t" || c === "\n") {
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
  for (const ch of value) {
    if (!VALUE_CHAR.test(ch)) throw new SelectorParseError(`invalid label value "${value}" in selector "${selector}"`);
  }
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
    return tok.v;
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
        } else if (next.v === ">" || next.v === "<") {
          fail(`"${k}${next.v}" needs an integer`);
        }
        if ((next.v === ">" || next.v === "<") && !/^-?\d+$/.test(value)) fail(`"${k}${next.v}${value}" needs an integer`);
        const operator: LabelOperator = next.v === "==" ? "=" : next.v;
        requirements.push({ key: k, operator, values: [value] });
      } else if (next.t === "id" && (next.v === "in" || next.v === "notin")) {
        i++;
        if (tokens[i]?.t !== "(") fail(`expected "(" after ${next.v}`);
        i++;
        const values: string[] = [];
        for (;;) {
          const tok = tokens[i];
          if (!tok) fail("unterminated value set");
          if (tok!.t === "id") {
            values.push(checkValue(tok!.v, selector));
            i++;
          } else if (tok!.t === "," || tok!.t === ")") {
            // An empty element (as in "(a,,b)" or "()") is the empty value.
            const prev = tokens[i - 1];
            if (prev && (prev.t === "(" || prev.t === ",")) values.push("");
            i++;
            if (tok!.t === ")") break;
          } else {
            fail(`unexpected "${tok!.v}" in value set`);
          }
        }
        requirements.push({ key: k, operator: next.v, values });
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
      const bound = Number(req.values[0]);
      const greater = req.operator === ">";
      return (labels) => {
        const v = labels[key];
        if (v === undefined || !/^-?\d+$/.test(v)) return false;
        return greater ? Number(v) > bound : Number(v) < bound;
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
      return `${r.key} ${r.operator} (${r.values.join(",")})`;
    default:
      return `${r.key}${r.operator}${r.values[0] ?? ""}`;
  }
}

const EMPTY_LABELS: Record<string, string> = Object.freeze({}) as Record<string, string>;

function compile(requirements: LabelRequirement[], text: string): ParsedLabelSelector {
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

// Controllers list with the same few selectors over and over: parse each string once.
const parsedStrings = new Map<string, ParsedLabelSelector>();
const PARSE_CACHE_LIMIT = 512;

/** Parses a label selector, string or record form; throws SelectorParseError for bad syntax. */
export function parseLabelSelector(selector: LabelSelector | undefined): ParsedLabelSelector {
  if (selector === undefined) return compile([], "");
  if (typeof selector !== "string") {
    const requirements = Object.keys(selector)
      .sort()
      .map((key): LabelRequirement => ({ key, operator: "=", values: [checkValue(selector[key]!, key)] }));
    return compile(requirements, requirements.map(formatRequirement).join(","));
  }
  const cached = parsedStrings.get(selector);
  if (cached) return cached;
  const requirements = parseString(selector);
  const parsed = compile(requirements, requirements.map(formatRequirement).join(","));
  if (parsedStrings.size >= PARSE_CACHE_LIMIT) parsedStrings.clear();
  parsedStrings.set(selector, parsed);
  return parsed;
}

/** Whether labels satisfy a selector (string or record form). */
export function selectorMatches(selector: LabelSelector | ParsedLabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined) return true;
  const parsed = isParsed(selector) ? selector : parseLabelSelector(selector);
  return parsed.matches(labels);
}

function isParsed(s: LabelSelector | ParsedLabelSelector): s is ParsedLabelSelector {
  return typeof s === "object" && typeof (s as ParsedLabelSelector).matches === "function";
}

/** The wire form of a label selector, or undefined for the empty one. */
export function labelSelectorString(selector: LabelSelector | undefined): string | undefined {
  if (selector === undefined) return undefined;
  return parseLabelSelector(selector).toString() || undefined;
}

function unescapeField(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}

function splitUnescaped(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === ",") {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/** Parses a field selector: `field=value`, `field==value`, `field!=value` joined by commas; `\,` `\=` `\\` escape. */
export function parseFieldSelector(selector: FieldSelector | undefined): FieldRequirement[] {
  if (selector === undefined) return [];
  if (typeof selector !== "string") {
    return Object.keys(selector)
      .sort()
      .map((field): FieldRequirement => ({ field, operator: "=", value: selector[field]! }));
  }
  if (!selector.trim()) return [];
  return splitUnescaped(selector).map((term): FieldRequirement => {
    const t = term.trim();
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/s.exec(t);
    if (!m) throw new SelectorParseError(`invalid field selector term "${t}"`);
    return { field: m[1]!, operator: m[2] === "!=" ? "!=" : "=", value: unescapeField(m[3]!) };
  });
}

function escapeField(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/** The wire form of a field selector, or undefined for the empty one. */
export function fieldSelectorString(selector: FieldSelector | undefined): string | undefined {
  const reqs = parseFieldSelector(selector);
  if (!reqs.length) return undefined;
  return reqs.map((r) => `${r.field}${r.operator}${escapeField(r.value)}`).join(",");
}
