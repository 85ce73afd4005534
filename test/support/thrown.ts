/**
 * What a synchronous call throws (undefined when it returns), so a test can match the error's
 * `code` and message with toMatchObject, as `rejects.toMatchObject` does for a promise.
 */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
