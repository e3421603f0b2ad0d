/** metav1.Condition: the standard shape of status conditions. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

export type ConditionInput = Omit<Condition, "lastTransitionTime"> & { lastTransitionTime?: string };

function now(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Sets a condition in place (apimachinery's meta.SetStatusCondition): lastTransitionTime changes only when the status
 * does. Returns true if anything changed, so callers write status only when needed.
 */
export function setStatusCondition(conditions: Condition[], input: ConditionInput): boolean {
  const existing = conditions.find((c) => c.type === input.type);
  if (!existing) {
    conditions.push({ ...input, lastTransitionTime: input.lastTransitionTime ?? now() });
    return true;
  }
  let changed = false;
  if (existing.status !== input.status) {
    existing.status = input.status;
    existing.lastTransitionTime = input.lastTransitionTime ?? now();
    changed = true;
  }
  if (existing.reason !== input.reason) {
    existing.reason = input.reason;
    changed = true;
  }
  if (existing.message !== input.message) {
    existing.message = input.message;
    changed = true;
  }
  if (input.observedGeneration !== undefined && existing.observedGeneration !== input.observedGeneration) {
    existing.observedGeneration = input.observedGeneration;
    changed = true;
  }
  return changed;
}

export function findStatusCondition(conditions: Condition[] | undefined, type: string): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isStatusConditionTrue(conditions: Condition[] | undefined, type: string): boolean {
  return findStatusCondition(conditions, type)?.status === "True";
}

export function isStatusConditionFalse(conditions: Condition[] | undefined, type: string): boolean {
  return findStatusCondition(conditions, type)?.status === "False";
}

export function removeStatusCondition(conditions: Condition[], type: string): boolean {
  const i = conditions.findIndex((c) => c.type === type);
  if (i < 0) return false;
  conditions.splice(i, 1);
  return true;
}
