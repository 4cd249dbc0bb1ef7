/**
 * The real Assigner for the integration tests, with short timings. It is imported by relative path
 * because `@dicer-ts/assigner` does not export `Assigner` yet; switch to the package name once it
 * does (the SDK itself never depends on the assigner).
 */
import { createDefaultLogger } from '@dicer-ts/common';
import { Assigner } from '../../assigner/src/assigner.js';

export { Assigner };

/** The target the integration tests use. */
export const TEST_TARGET = 'it-cache';

/**
 * An in-memory Assigner on a free loopback port: Slicelets are unhealthy after 1.5 s without a
 * heartbeat (also its startup delay), no rate limit between generations, rebalancing every 300 ms,
 * and loads accepted from windows of any length.
 */
export function startTestAssigner(port = 0): Promise<Assigner> {
  return Assigner.start({
    host: '127.0.0.1',
    port,
    debugPort: 'disabled',
    targets: { [TEST_TARGET]: { maxLoadHint: 1_000_000, loadWatcherMinDurationMs: 1 } },
    unhealthyTimeoutMs: 1_500,
    minGenerationIntervalMs: 0,
    loadBalancingIntervalMs: 300,
    sliceletSuggestedRpcTimeoutMs: 1_000,
    clerkSuggestedRpcTimeoutMs: 1_000,
    logger: createDefaultLogger('silent'),
  });
}
