import type { FieldSelector, LabelSelector, ListOptions } from "./interfaces.ts";

/** A selector in its wire form ("a=b,c!=d"); a record becomes equality terms in key order. */
export function formatSelector(selector: LabelSelector | FieldSelector | undefined): string | undefined {
  if (selector === undefined) return undefined;
  if (typeof selector === "string") return selector.trim() || undefined;
  const terms = Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`);
  return terms.length ? terms.join(",") : undefined;
}

/** The field selector a server is sent: fieldSelector and matchingFields together (they are the same thing there). */
export function fieldSelectorOf(options: Pick<ListOptions, "fieldSelector" | "matchingFields">): string | undefined {
  const parts = [formatSelector(options.fieldSelector), formatSelector(options.matchingFields)].filter(Boolean);
  return parts.length ? parts.join(",") : undefined;
}

export type LabelOperator = "=" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export class SelectorParseError extends Error {
  override readonly name = "SelectorParseError";
}

/** Splits on the commas that separate terms, not those inside "in (a,b)". */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms.map((t) => t.trim());
}

const KEY = String.raw`[A-Za-z0-9](?:[-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`[-A-Za-z0-9_.]*`;
const EXISTS = new RegExp(`^(${KEY})$`);
const NOT_EXISTS = new RegExp(`^!\\s*(${KEY})$`);
const VALUE_ONLY = new RegExp(`^${VALUE}$`);
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`);
const COMPARE = new RegExp(`^(${KEY})\\s*(==|=|!=|>|<)\\s*(${VALUE})$`);

/** Parses Kubernetes label selector syntax: a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a, a>1, a<1. */
export function parseLabelSelector(selector: LabelSelector): LabelRequirement[] {
  if (typeof selector !== "string") {
    return Object.keys(selector)
      .sort()
      .map((key) => ({ key, operator: "=", values: [selector[key]!] }));
  }
  if (!selector.trim()) return [];
  return splitTerms(selector).map((term): LabelRequirement => {
    let m = NOT_EXISTS.exec(term);
    if (m) return { key: m[1]!, operator: "!", values: [] };
    m = EXISTS.exec(term);
    if (m) return { key: m[1]!, operator: "exists", values: [] };
    m = SET.exec(term);
    if (m) {
      const values = m[3]!.split(",").map((v) => v.trim());
      if (values.some((v) => !VALUE_ONLY.test(v))) throw new SelectorParseError(`invalid values in "${term}"`);
      return { key: m[1]!, operator: m[2] as "in" | "notin", values };
    }
    m = COMPARE.exec(term);
    if (m) {
      const operator = (m[2] === "==" ? "=" : m[2]) as LabelOperator;
      return { key: m[1]!, operator, values: [m[3]!] };
    }
    throw new SelectorParseError(`unable to parse requirement "${term}" of label selector "${selector}"`);
  });
}

function matchesRequirement(req: LabelRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.operator) {
    case "=":
      return has && value === req.values[0];
    case "!=":
      return !has || value !== req.values[0];
    case "in":
      return has && req.values.includes(value!);
    case "notin":
      return !has || !req.values.includes(value!);
    case "exists":
      return has;
    case "!":
      return !has;
    case ">":
    case "<": {
      if (!has || !/^-?\d+$/.test(value!) || !/^-?\d+$/.test(req.values[0] ?? "")) return false;
      return req.operator === ">" ? Number(value) > Number(req.values[0]) : Number(value) < Number(req.values[0]);
    }
  }
}

/** A predicate over an object's labels; throws SelectorParseError for bad syntax. */
export function labelMatcher(selector: LabelSelector | undefined): (labels: Record<string, string> | undefined) => boolean {
  if (selector === undefined) return () => true;
  const requirements = parseLabelSelector(selector);
  return (labels) => requirements.every((r) => matchesRequirement(r, labels ?? {}));
}

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

/** Parses a field selector: field=value, field==value, field!=value, joined by commas ("\," escapes a comma). */
export function parseFieldSelector(selector: FieldSelector): FieldRequirement[] {
  if (typeof selector !== "string") {
    return Object.keys(selector)
      .sort()
      .map((field) => ({ field, operator: "=", value: selector[field]! }));
  }
  if (!selector.trim()) return [];
  return selector
    .split(/(?<!\\),/)
    .map((t) => t.trim())
    .map((term): FieldRequirement => {
      const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
      if (!m) throw new SelectorParseError(`invalid field selector term "${term}"`);
      return { field: m[1]!, operator: m[2] === "!=" ? "!=" : "=", value: m[3]!.replace(/\\,/g, ",") };
    });
}
