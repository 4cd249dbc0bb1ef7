import type { PolicyRunResult } from '../engine/metrics.js';
import type { SimulationResult } from '../run-scenario.js';

/** The columns of the summary table, shared by the terminal and HTML reports. */
export const SUMMARY_COLUMNS: readonly { readonly title: string; readonly value: (p: PolicyRunResult) => string }[] = [
  { title: 'policy', value: (p) => p.policy },
  { title: 'max/mean', value: (p) => p.summary.meanMaxOverMean.toFixed(2) },
  { title: 'worst max/mean', value: (p) => p.summary.worstMaxOverMean.toFixed(2) },
  { title: 'p99/mean', value: (p) => p.summary.meanP99OverMean.toFixed(2) },
  { title: 'keys moved', value: (p) => p.summary.keysMoved.toFixed(3) },
  { title: 'load moved', value: (p) => p.summary.loadMoved.toFixed(3) },
  { title: 'changes', value: (p) => String(p.summary.changes) },
  { title: 'misrouted', value: (p) => percent(p.summary.misrouted, p.summary.requests) },
  { title: 'failed', value: (p) => percent(p.summary.failed, p.summary.requests) },
  { title: 'cache hit', value: (p) => `${(p.summary.cacheHitRate * 100).toFixed(1)}%` },
  { title: 'slices', value: (p) => p.summary.meanSliceCount.toFixed(0) },
  { title: 'over cap', value: (p) => `${(p.summary.overloadedShare * 100).toFixed(1)}%` },
  { title: 'decide ms', value: (p) => (p.timing === undefined ? '-' : p.timing.meanMs.toFixed(1)) },
];

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((part / whole) * 100).toFixed(part > 0 && part / whole < 0.001 ? 3 : 2)}%`;
}

/**
 * The side-by-side summary as a plain-text table (columns padded, numbers right-aligned), with a
 * header line naming the scenario, and the sweep points when there are any.
 */
export function renderTable(result: SimulationResult): string {
  const s = result.scenario;
  const lines = [
    `scenario ${s.name}: ${s.pods} pods, ${s.keys} keys, ${s.meanLoadPerSecond} load/s, ${s.durationMs / 60_000} min (recorded after ${s.warmupMs / 60_000} min), seed ${s.seed}`,
  ];
  if (s.events.length > 0) lines.push(`events: ${s.events.join(', ')}`);
  lines.push(...table(SUMMARY_COLUMNS.map((c) => c.title), result.policies.map((p) => SUMMARY_COLUMNS.map((c) => c.value(p)))));
  if (result.sweep !== undefined) {
    lines.push('', `sweep of ${result.sweep.knob}:`);
    lines.push(
      ...table(
        [result.sweep.knob, 'max/mean', 'p99/mean', 'load moved', 'keys moved', 'cache hit'],
        result.sweep.points.map((pt) => [
          String(pt.value),
          pt.summary.meanMaxOverMean.toFixed(2),
          pt.summary.meanP99OverMean.toFixed(2),
          pt.summary.loadMoved.toFixed(3),
          pt.summary.keysMoved.toFixed(3),
          `${(pt.summary.cacheHitRate * 100).toFixed(1)}%`,
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const fmt = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)];
}
