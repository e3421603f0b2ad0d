import { isNotFound } from "@operator-ts/runtime";

/** Whether a read found nothing: true on NotFound, false when the object is there; any other error is thrown. */
export async function gone(read: Promise<unknown>): Promise<boolean> {
  try {
    await read;
    return false;
  } catch (err) {
    if (isNotFound(err)) return true;
    throw err;
  }
}
