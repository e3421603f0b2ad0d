import { SelectorParseError } from "./errors.ts";

/** A field selector as a string ("metadata.name=a,status.phase!=Running") or as equality pairs. */
export type FieldSelector = string | Record<string, string>;

export interface FieldRequirement {
  field: string;
  operator: "=" | "!=";
  value: string;
}

/** apimachinery's UnescapeValue: only `\\`, `\,` and `\=` are escapes, and "," or "=" must be escaped. */
function unescapeField(value: string, term: string): string {
  let out = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\") {
      const next = value[++i];
      if (next !== "\\" && next !== "," && next !== "=") {
        throw new SelectorParseError(`invalid escape sequence in field selector term "${term}"`);
      }
      out += next;
    } else if (c === "," || c === "=") {
      throw new SelectorParseError(`unescaped "${c}" in the value of field selector term "${term}"`);
    } else {
      out += c;
    }
  }
  return out;
}

/** The term's field, operator and raw value at the first unescaped operator, as apimachinery's splitTerm finds it. */
function splitTerm(term: string): [string, "=" | "!=", string] | undefined {
  for (let i = 0; i < term.length; i++) {
    if (term[i] === "\\") i++;
    else if (term.startsWith("!=", i)) return [term.slice(0, i), "!=", term.slice(i + 2)];
    else if (term.startsWith("==", i)) return [term.slice(0, i), "=", term.slice(i + 2)];
    else if (term[i] === "=") return [term.slice(0, i), "=", term.slice(i + 1)];
  }
  return undefined;
}

function escapeField(value: string): string {
  return value.replace(/[\\,=]/g, (c) => `\\${c}`);
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
  const requirements: FieldRequirement[] = [];
  for (const term of splitUnescaped(selector)) {
    const t = term.trim();
    // Go skips empty terms, so "a=b," and ",a=b" select as "a=b" does.
    if (!t) continue;
    const parts = splitTerm(t);
    const field = parts?.[0].trim();
    if (!parts || !field || /[\s!\\]/.test(field)) throw new SelectorParseError(`invalid field selector term "${t}"`);
    requirements.push({ field, operator: parts[1], value: unescapeField(parts[2].trim(), t) });
  }
  return requirements;
}

function formatFields(set: Record<string, string>): string {
  return Object.keys(set)
    .sort()
    .map((field) => `${field}=${escapeField(set[field]!)}`)
    .join(",");
}

/** The wire form of a field selector, checked and normalized, or undefined for the empty one. */
export function fieldSelectorString(selector: FieldSelector | undefined): string | undefined {
  const reqs = parseFieldSelector(selector);
  if (!reqs.length) return undefined;
  // In sorted order, as Go's parser sorts the terms, so equal selectors print the same.
  return reqs
    .map((r) => `${r.field}${r.operator}${escapeField(r.value)}`)
    .sort()
    .join(",");
}

/**
 * The field selector a request to the API server carries: fieldSelector and matchingFields together (they are the
 * same thing there). A string is sent as written, for the server to judge; record values are escaped.
 */
export function fieldSelectorOf(options: { fieldSelector?: FieldSelector; matchingFields?: Record<string, string> }): string | undefined {
  const wire = (s: FieldSelector | undefined) => (s === undefined ? "" : typeof s === "string" ? s.trim() : formatFields(s));
  const parts = [wire(options.fieldSelector), wire(options.matchingFields)].filter(Boolean);
  return parts.length ? parts.join(",") : undefined;
}

/** The value a field selector compares: a dotted path into the object, "" when absent. */
export function fieldValue(obj: unknown, path: string): string {
  let node: unknown = obj;
  for (const part of path.split(".")) node = node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined;
  return node === undefined || node === null ? "" : String(node);
}

/** Whether a field holding these values (one, or an index's several) satisfies the requirement. */
export function fieldRequirementMatches(requirement: FieldRequirement, values: readonly string[]): boolean {
  return values.includes(requirement.value) === (requirement.operator === "=");
}

/** A predicate over objects for a field selector, reading fields by dotted path; throws SelectorParseError for bad syntax. */
export function fieldMatcher(selector: FieldSelector | undefined): (obj: unknown) => boolean {
  const requirements = parseFieldSelector(selector);
  return (obj) => requirements.every((r) => fieldRequirementMatches(r, [fieldValue(obj, r.field)]));
}
