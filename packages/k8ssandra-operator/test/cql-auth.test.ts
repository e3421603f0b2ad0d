import cassandra from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { isAuthFailure } from "../src/cql/auth.ts";

const { AuthenticationError, NoHostAvailableError, OperationTimedOutError } = cassandra.errors;

describe("isAuthFailure", () => {
  it("is a refused login, directly or from every host tried", () => {
    expect(isAuthFailure(new AuthenticationError("Provided username and/or password are incorrect"))).toBe(true);
    const refused = { "10.0.0.1:9042": new AuthenticationError("bad credentials"), "10.0.0.2:9042": new AuthenticationError("bad credentials") };
    expect(isAuthFailure(new NoHostAvailableError(refused, "All host(s) tried for query failed"))).toBe(true);
  });

  it("is not a node that was not reached, nor one host refusing while another did not answer", () => {
    expect(isAuthFailure(new OperationTimedOutError("timed out", "10.0.0.1:9042"))).toBe(false);
    expect(isAuthFailure(new NoHostAvailableError({}, "no hosts"))).toBe(false);
    const mixed = { "10.0.0.1:9042": new AuthenticationError("bad credentials"), "10.0.0.2:9042": new Error("connect ECONNREFUSED") };
    expect(isAuthFailure(new NoHostAvailableError(mixed))).toBe(false);
    expect(isAuthFailure(new Error("Provided username and/or password are incorrect"))).toBe(false);
    expect(isAuthFailure(undefined)).toBe(false);
  });
});
