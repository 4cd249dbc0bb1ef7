/**
 * An in-process cluster for the Clerk's integration tests: the real Assigner (in-memory store,
 * short timings) and real Slicelets, all over real gRPC on loopback.
 */
import { type Generation, createDefaultLogger } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { Slicelet } from '@dicer-ts/slicelet-sdk';
import { Assigner } from '@dicer-ts/assigner';

export { Assigner, Slicelet };

export const silent = createDefaultLogger('silent');

/** Target with one replica per slice. */
export const TARGET = 'clerk-it';
/** Target whose every slice has three replicas. */
export const REPLICATED_TARGET = 'clerk-it-replicated';

/** An in-memory Assigner on a free loopback port with short timings and both test targets. */
export function startAssigner(port = 0): Promise<Assigner> {
  return Assigner.start({
    host: '127.0.0.1',
    port,
    debugPort: 'disabled',
    targets: {
      [TARGET]: { maxLoadHint: 1_000_000, loadWatcherMinDurationMs: 1 },
      [REPLICATED_TARGET]: { maxLoadHint: 1_000_000, loadWatcherMinDurationMs: 1, minReplicas: 3, maxReplicas: 3 },
    },
    unhealthyTimeoutMs: 1_500,
    minGenerationIntervalMs: 0,
    loadBalancingIntervalMs: 300,
    sliceletSuggestedRpcTimeoutMs: 1_000,
    clerkSuggestedRpcTimeoutMs: 1_000,
    logger: silent,
  });
}

/** Starts a Slicelet of `target` whose resource address is `http://127.0.0.1:<9100 + i>`. */
export function startSlicelet(
  assigner: Assigner,
  i: number,
  options: { target?: string; watchPort?: number; watchTimeoutMs?: number } = {},
): Promise<Slicelet> {
  return Slicelet.start({
    target: options.target ?? TARGET,
    assigner: `127.0.0.1:${assigner.port}`,
    selfAddress: `http://127.0.0.1:${9100 + i}`,
    host: '127.0.0.1',
    watchPort: options.watchPort ?? 0,
    watchHost: '127.0.0.1',
    watchTimeoutMs: options.watchTimeoutMs ?? 1_000,
    logger: silent,
  });
}

/** Waits until every Slicelet holds the same generation and owns something; returns it. */
export function settled(group: readonly Slicelet[], timeoutMs = 20_000): Promise<Generation> {
  return eventually(
    () => {
      const g = group[0]!.generation;
      return !g.isEmpty() && group.every((s) => s.generation.equals(g) && s.assignedSlices().length > 0) ? g : undefined;
    },
    { description: 'every Slicelet owning slices of one generation', timeoutMs },
  );
}
