import type { Condition } from "../api/conditions.ts";
import type { KubeObject, ObjectKey, ResourceType } from "../api/object.ts";
import type { Reader } from "../client/interfaces.ts";
import { eventually, type WaitOptions } from "./wait.ts";

/** An object with status conditions (metav1.Condition), as custom resources and most built-in kinds have them. */
export interface WithConditions extends KubeObject {
  status?: { conditions?: Condition[] | undefined } | undefined;
}

/** What a condition must show; unset fields match anything. */
export interface ConditionExpectation {
  /** Default "True". */
  status?: Condition["status"];
  reason?: string;
  /** A substring of the message, or a pattern it matches. */
  message?: string | RegExp;
  /**
   * Require observedGeneration >= metadata.generation (the controller saw the latest spec); default true when the
   * object has a generation.
   */
  current?: boolean;
}

function mismatch(obj: WithConditions | undefined, type: string, expected: ConditionExpectation): string | undefined {
  const condition = obj?.status?.conditions?.find((c) => c.type === type);
  if (!condition) return `no condition ${type}`;
  const status = expected.status ?? "True";
  if (condition.status !== status) return `${type} is ${condition.status}, not ${status}`;
  if (expected.reason !== undefined && condition.reason !== expected.reason) return `${type}'s reason is ${condition.reason}, not ${expected.reason}`;
  const message = expected.message;
  if (message !== undefined && !(typeof message === "string" ? condition.message.includes(message) : message.test(condition.message))) {
    return `${type}'s message ${JSON.stringify(condition.message)} does not match ${String(message)}`;
  }
  const generation = obj?.metadata?.generation;
  if ((expected.current ?? true) && generation !== undefined && condition.observedGeneration !== undefined && condition.observedGeneration < generation) {
    return `${type} was observed at generation ${condition.observedGeneration}, the object is at ${generation}`;
  }
  return undefined;
}

/** Whether the object's condition of that type shows what is expected (status True unless told otherwise). */
export function hasCondition(obj: WithConditions | undefined, type: string, expected: ConditionExpectation = {}): boolean {
  return mismatch(obj, type, expected) === undefined;
}

/**
 * Throws unless the object's condition of that type shows what is expected; the error says what differs and lists
 * the conditions the object has. Works under any test runner.
 */
export function expectCondition(obj: WithConditions | undefined, type: string, expected: ConditionExpectation = {}): void {
  const why = mismatch(obj, type, expected);
  if (why === undefined) return;
  const name = obj?.metadata ? `${obj.kind ?? "object"} ${obj.metadata.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata.name ?? ""}` : "object";
  const have = (obj?.status?.conditions ?? []).map((c) => `${c.type}=${c.status} (${c.reason}: ${c.message})`).join("; ") || "none";
  throw new Error(`${name}: ${why}; conditions: ${have}`);
}

/**
 * Reads the object until its condition of that type shows what is expected, and returns the object. The timeout's
 * message says what the condition showed last.
 *
 *   const memcached = await waitForCondition(mgr.apiReader, Memcached, key, "Available");
 */
export async function waitForCondition<T extends WithConditions>(
  reader: Pick<Reader, "get">,
  type: ResourceType<T>,
  key: ObjectKey,
  conditionType: string,
  expected: ConditionExpectation & WaitOptions = {},
): Promise<T> {
  const { what, timeoutMs, intervalMs, signal, ...condition } = expected;
  return eventually(
    async () => {
      const obj = await reader.get(type, key);
      expectCondition(obj, conditionType, condition);
      return obj;
    },
    { what: what ?? `${type.kind} ${key.namespace ? `${key.namespace}/` : ""}${key.name} condition ${conditionType}`, timeoutMs, intervalMs, signal },
  );
}
