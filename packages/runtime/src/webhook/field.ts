import type { Status } from "../client/errors.ts";

/**
 * Field errors as the API server words them (k8s.io/apimachinery's validation/field): a validator returns these and
 * the user reads `spec.size: Invalid value: 7: must be at most 5`, just as a schema violation would read.
 */
export type FieldErrorType =
  | "FieldValueInvalid"
  | "FieldValueRequired"
  | "FieldValueForbidden"
  | "FieldValueNotSupported"
  | "FieldValueDuplicate"
  | "FieldValueTooLong"
  | "FieldValueTooMany";

const WORDING: Record<FieldErrorType, string> = {
  FieldValueInvalid: "Invalid value",
  FieldValueRequired: "Required value",
  FieldValueForbidden: "Forbidden",
  FieldValueNotSupported: "Unsupported value",
  FieldValueDuplicate: "Duplicate value",
  FieldValueTooLong: "Too long",
  FieldValueTooMany: "Too many",
};

/** Types whose message shows the offending value, as apimachinery's do. */
const SHOWS_VALUE = new Set<FieldErrorType>(["FieldValueInvalid", "FieldValueNotSupported", "FieldValueDuplicate"]);

function formatValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null || value === undefined) return "null";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export class FieldError {
  readonly type: FieldErrorType;
  /** A dotted path with indexes: `spec.datacenters[1].name`. */
  readonly field: string;
  readonly badValue: unknown;
  readonly detail: string;

  constructor(type: FieldErrorType, field: string, badValue: unknown, detail: string) {
    this.type = type;
    this.field = field;
    this.badValue = badValue;
    this.detail = detail;
  }

  /** The text after the field: `Invalid value: 7: must be at most 5`. */
  get message(): string {
    let text = WORDING[this.type];
    if (SHOWS_VALUE.has(this.type)) text += `: ${formatValue(this.badValue)}`;
    return this.detail ? `${text}: ${this.detail}` : text;
  }

  toString(): string {
    return `${this.field}: ${this.message}`;
  }
}

/** Builds field paths the way field.NewPath does: `fieldPath("spec", "datacenters").index(1).child("name")`. */
export class FieldPath {
  private readonly text: string;

  constructor(text: string) {
    this.text = text;
  }

  child(name: string, ...more: string[]): FieldPath {
    return new FieldPath([this.text, name, ...more].filter(Boolean).join("."));
  }

  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }

  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }

  toString(): string {
    return this.text;
  }
}

export function fieldPath(name: string, ...more: string[]): FieldPath {
  return new FieldPath([name, ...more].join("."));
}

type Path = string | FieldPath;

/** The constructors of field.Invalid, field.Required and friends. */
export const field = {
  invalid: (path: Path, value: unknown, detail: string) => new FieldError("FieldValueInvalid", String(path), value, detail),
  required: (path: Path, detail = "") => new FieldError("FieldValueRequired", String(path), undefined, detail),
  forbidden: (path: Path, detail: string) => new FieldError("FieldValueForbidden", String(path), undefined, detail),
  notSupported: (path: Path, value: unknown, valid: readonly unknown[]) =>
    new FieldError("FieldValueNotSupported", String(path), value, valid.length ? `supported values: ${valid.map(formatValue).join(", ")}` : ""),
  duplicate: (path: Path, value: unknown) => new FieldError("FieldValueDuplicate", String(path), value, ""),
  tooMany: (path: Path, actual: number, max: number) =>
    new FieldError("FieldValueTooMany", String(path), actual, `must have at most ${max} items`),
};

/**
 * The Status of an Invalid error (apierrors.NewInvalid): `Memcached.cache.example.com "m" is invalid: spec.size:
 * Invalid value: 7: must be at most 5`, with one cause per field error.
 */
export function invalidStatus(kind: { group: string; kind: string }, name: string, errors: readonly FieldError[]): Status {
  const qualified = kind.group ? `${kind.kind}.${kind.group}` : kind.kind;
  const text = errors.map(String).join(", ");
  return {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code: 422,
    reason: "Invalid",
    message: `${qualified} "${name}" is invalid: ${errors.length > 1 ? `[${text}]` : text}`,
    details: {
      name,
      ...(kind.group ? { group: kind.group } : {}),
      kind: kind.kind,
      causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
    },
  };
}

/** A validator may throw this to refuse with field errors; returning `{ errors }` does the same. */
export class InvalidError extends Error {
  override readonly name = "InvalidError";
  readonly errors: readonly FieldError[];

  constructor(errors: readonly FieldError[]) {
    super(errors.map(String).join(", "));
    this.errors = errors;
  }
}
