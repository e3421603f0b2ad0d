import type { KubeObject } from "../api/object.ts";
import { type Predicate, predicateFuncs } from "./predicate.ts";

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

function isSpec(s: Record<string, string> | LabelSelectorSpec): s is LabelSelectorSpec {
  // A plain label map has only string values, so an object under either key marks a LabelSelector.
  const r = s as Record<string, unknown>;
  return (typeof r.matchLabels === "object" && r.matchLabels !== null) || Array.isArray(r.matchExpressions);
}

/** A label matcher for a label map (equality on every entry) or a LabelSelector with matchExpressions. */
export function labelMatcher(selector: Record<string, string> | LabelSelectorSpec): (labels: Record<string, string> | undefined) => boolean {
  const spec: LabelSelectorSpec = isSpec(selector) ? selector : { matchLabels: selector };
  const equal = Object.entries(spec.matchLabels ?? {});
  const exprs = (spec.matchExpressions ?? []).map((r) => ({ ...r, set: new Set(r.values ?? []) }));
  for (const r of exprs) {
    if (!["In", "NotIn", "Exists", "DoesNotExist"].includes(r.operator)) {
      throw new Error(`label selector: unknown operator ${String(r.operator)} on "${r.key}"`);
    }
    if ((r.operator === "In" || r.operator === "NotIn") && r.set.size === 0) {
      throw new Error(`label selector: operator ${r.operator} on "${r.key}" needs values`);
    }
  }
  return (labels) => {
    const l = labels ?? {};
    for (const [k, v] of equal) if (l[k] !== v) return false;
    for (const r of exprs) {
      const has = Object.hasOwn(l, r.key);
      switch (r.operator) {
        case "In":
          if (!has || !r.set.has(l[r.key]!)) return false;
          break;
        case "NotIn":
          if (has && r.set.has(l[r.key]!)) return false;
          break;
        case "Exists":
          if (!has) return false;
          break;
        case "DoesNotExist":
          if (has) return false;
          break;
      }
    }
    return true;
  };
}

/** Passes events whose object's labels match the selector (the new object on update). */
export function labelSelectorPredicate<T extends KubeObject = KubeObject>(selector: Record<string, string> | LabelSelectorSpec): Predicate<T> {
  const match = labelMatcher(selector);
  return predicateFuncs<T>((obj) => match(obj.metadata?.labels));
}
