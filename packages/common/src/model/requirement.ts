import { InvalidArgumentError } from '../errors.js';

/**
 * The prefix Scala's `require` puts before every message. Dicer validates its model with `require`,
 * so its exception texts read `requirement failed: <message>`; we keep the prefix so that our texts
 * equal Dicer's (vectors match by substring either way).
 *
 * @see protocol.md §2.1
 */
export const REQUIREMENT_FAILED_PREFIX = 'requirement failed: ';

/**
 * Throws {@link InvalidArgumentError} with Scala's `require` text unless `condition` holds. The
 * message is a thunk so that the (often expensive) `toString` of the offending values runs only on
 * failure.
 *
 * @throws {InvalidArgumentError} `requirement failed: <message>` when `condition` is false.
 */
export function requireThat(condition: boolean, message: () => string): asserts condition {
  if (!condition) throw new InvalidArgumentError(REQUIREMENT_FAILED_PREFIX + message());
}
