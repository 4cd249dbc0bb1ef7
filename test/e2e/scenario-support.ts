/**
 * What the e2e scenarios share: short timings for a {@link DemoCluster}, windows of measured
 * figures read from the children's stats lines (waiting on those lines, never sleeping), and the
 * figures each scenario prints.
 */
import type { DemoCluster, DemoClusterOptions, LoadGeneratorStats } from '@dicer-ts/cache-demo';
import { eventually } from '@dicer-ts/test-harness';

/** Timings short enough for tests; each scenario adds its own load settings. */
export const E2E_CLUSTER_OPTIONS: DemoClusterOptions = {
  debugPort: 0,
  unhealthyTimeoutMs: 2_000,
  minGenerationIntervalMs: 200,
  loadBalancingIntervalMs: 2_000,
  watchTimeoutMs: 1_000,
  loadHalfLifeSeconds: 2,
  statsIntervalMs: 250,
  rate: 200,
  keys: 1_000,
  drainGraceMs: 500,
  logDir: process.env['DICER_E2E_LOG_DIR'],
};

/** Load generator figures between two stats lines. */
export interface LoadWindow {
  readonly requests: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly retries: number;
  readonly misdirected: number;
  readonly hits: number;
  readonly gets: number;
  readonly seconds: number;
}

/** The figures between two cumulative stats lines of the load generator. */
export function loadWindow(from: LoadGeneratorStats, to: LoadGeneratorStats): LoadWindow {
  const succeeded = to.succeeded - from.succeeded;
  const failed = to.failed - from.failed;
  const hits = to.hits - from.hits;
  return {
    requests: succeeded + failed,
    succeeded,
    failed,
    retries: to.retries - from.retries,
    misdirected: to.misdirected - from.misdirected,
    hits,
    gets: hits + to.misses - from.misses,
    seconds: (to.atMs - from.atMs) / 1000,
  };
}

/** Waits for `lines` more stats lines of the load generator and returns the window they span. */
export async function measureLoad(cluster: DemoCluster, lines: number): Promise<LoadWindow> {
  const from = await cluster.nextLoadStats();
  let to = from;
  for (let i = 0; i < lines; i++) to = await cluster.nextLoadStats();
  return loadWindow(from, to);
}

/** Hit rate of a window, in [0, 1]. */
export function hitRate(w: LoadWindow): number {
  return w.gets === 0 ? 0 : w.hits / w.gets;
}

/**
 * Request rates (per second) of every running server over a window of `lines` load-generator
 * stats lines, by server name.
 */
export async function serverRates(cluster: DemoCluster, lines: number): Promise<Map<string, number>> {
  await cluster.nextLoadStats();
  const before = new Map(cluster.servers.map((s) => [s.name, s.process.latestStats]));
  for (let i = 0; i < lines; i++) await cluster.nextLoadStats();
  const rates = new Map<string, number>();
  for (const slot of cluster.servers) {
    const a = before.get(slot.name);
    const b = slot.process.latestStats;
    if (!slot.process.isRunning || a === undefined || b === undefined || a.pid !== b.pid || b.atMs <= a.atMs) continue;
    rates.set(slot.name, ((b.requests - a.requests) * 1000) / (b.atMs - a.atMs));
  }
  return rates;
}

/** Waits until every running server holds slices in the Assigner's latest assignment. */
export async function waitForAllServersAssigned(cluster: DemoCluster, timeoutMs = 20_000): Promise<void> {
  await eventually(
    async () => {
      const target = await cluster.debugTarget();
      if (target === undefined) return false;
      return cluster.servers.every((slot) => target.slices.some((s) => s.resources.some((r) => r.endsWith(`:${slot.port}`))));
    },
    { timeoutMs, intervalMs: 100, description: 'every server to hold slices' },
  );
}

/** Prints a scenario's measured figures (mocha shows them with the test output). */
export function printFigures(scenario: string, figures: Readonly<Record<string, string | number>>): void {
  const body = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toFixed(4)) : v}`)
    .join(' ');
  process.stdout.write(`      [e2e figures] ${scenario}: ${body}\n`);
}
