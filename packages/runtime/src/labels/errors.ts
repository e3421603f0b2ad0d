/** A label or field selector that cannot be parsed; the fake client answers it with 400 BadRequest, as the API server does. */
export class SelectorParseError extends Error {
  override readonly name = "SelectorParseError";
}
