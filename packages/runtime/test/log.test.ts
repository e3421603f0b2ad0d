import { describe, expect, it } from "vitest";
import { ApiError } from "../src/client/errors.ts";
import { serializeError } from "../src/log/index.ts";

describe("logging { err }", () => {
  it("keeps an error's type, message, stack and cause", () => {
    const err = new Error("outer", { cause: new Error("inner") });
    const out = serializeError(err) as { type: string; message: string; stack: string };
    expect(out.type).toBe("Error");
    expect(out.message).toContain("outer");
    expect(out.stack).toContain("log.test.ts");
    expect(JSON.stringify(out)).toContain("inner");
  });

  it("gives an API server's answer on one line: message, code and reason, no stack", () => {
    const err = new ApiError("GET", "/api/v1/namespaces/a/pods", 0, { reason: "ConnectionFailed", message: "connect ECONNREFUSED" });
    expect(serializeError(err)).toEqual({
      type: "ApiError",
      message: "GET /api/v1/namespaces/a/pods: 0 ConnectionFailed: connect ECONNREFUSED",
      code: 0,
      reason: "ConnectionFailed",
    });
  });

  it("passes what is not an error through", () => {
    expect(serializeError("plain words")).toBe("plain words");
  });
});
