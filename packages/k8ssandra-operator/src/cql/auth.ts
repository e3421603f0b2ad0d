import cassandra from "cassandra-driver";

/**
 * Whether a driver error means the nodes answered and refused the login: an AuthenticationError, or a
 * NoHostAvailableError whose every host did so. A leaf shared by the operator and the cass-operator stand-in, which
 * both need to tell a refused login from an unreachable node.
 */
export function isAuthFailure(err: unknown): boolean {
  if (err instanceof cassandra.errors.AuthenticationError) return true;
  if (err instanceof cassandra.errors.NoHostAvailableError) {
    const inner = Object.values((err.innerErrors ?? {}) as Record<string, unknown>);
    return inner.length > 0 && inner.every(isAuthFailure);
  }
  return false;
}
