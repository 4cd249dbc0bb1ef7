/** Options of {@link eventually}. */
export interface EventuallyOptions {
  /** How long to keep trying. @default 10000 */
  timeoutMs?: number;
  /** Pause between attempts. @default 20 */
  intervalMs?: number;
  /** What the condition waits for, quoted in the timeout error. */
  description?: string;
}

/**
 * Retries `condition` until it returns a value other than `false`/`undefined` (or stops throwing)
 * and resolves with that value; rejects with the last failure once `timeoutMs` has passed.
 *
 * This is how tests wait for real processes and sockets without fixed sleeps.
 */
export async function eventually<T>(
  condition: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, false | undefined>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 20;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== false && value !== undefined) return value as Exclude<T, false | undefined>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const what = options.description ?? 'condition';
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${reason}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
