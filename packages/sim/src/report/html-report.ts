import type { SimulationResult } from '../run-scenario.js';
import { PALETTE, barChart, escapeXml, lineChart, type ChartSeries } from './svg-chart.js';
import { SUMMARY_COLUMNS } from './terminal-table.js';

const minutes = (ms: number): number => Number((ms / 60_000).toFixed(4));

/** 1 (perfect balance) as the axis floor, unless some value lies below it. */
const floorAtOne = (values: readonly number[]): number => Math.min(1, ...values.map((v) => Math.floor(v * 10) / 10));

/**
 * A self-contained HTML report of a run: the summary table and inline SVG charts (imbalance,
 * churn and cache hit rate per policy over time, load per pod over time for each policy, and for
 * a sweep the imbalance-against-churn trade-off curve). No script, stylesheet or font is fetched,
 * so it opens from a file with no server.
 */
export function renderHtmlReport(result: SimulationResult): string {
  const s = result.scenario;
  const policies = result.policies;
  const color = (i: number): string => PALETTE[i % PALETTE.length] as string;
  const sections: string[] = [];

  sections.push(
    `<h1>dicer-sim: ${escapeXml(s.name)}</h1>`,
    `<p>${escapeXml(s.description)}</p>`,
    `<p class="facts">${s.pods} pods · ${s.keys.toLocaleString('en-US')} keys · ${s.meanLoadPerSecond} load/s · ${minutes(s.durationMs)} min, recorded after ${minutes(s.warmupMs)} min · samples every ${s.sampleIntervalMs / 1000} s · seed ${s.seed}${
      s.events.length > 0 ? ` · events: ${escapeXml(s.events.join(', '))}` : ''
    }</p>`,
  );

  const head = SUMMARY_COLUMNS.map((c) => `<th>${escapeXml(c.title)}</th>`).join('');
  const rows = policies.map((p) => `<tr>${SUMMARY_COLUMNS.map((c) => `<td>${escapeXml(c.value(p))}</td>`).join('')}</tr>`).join('\n');
  sections.push(`<h2>Summary</h2>`, `<table id="summary"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table>`);
  sections.push(
    `<p class="note">max/mean and p99/mean: pod load over the mean, averaged over samples (1.00 is perfect balance). keys/load moved: the sum over all changes of the share of keys (or of load) whose state moved to another pod instance (1.0 = everything moved once). misrouted: requests that reached a pod not holding the key in the policy's latest decision (stale Clerk view). decide ms: wall time per decision (the algorithm time for dicer).</p>`,
  );

  const series = (value: (i: number) => ChartSeries['points']): ChartSeries[] =>
    policies.map((p, i) => ({ name: p.policy, color: color(i), points: value(i) }));
  sections.push(
    `<h2>Imbalance over time</h2>`,
    lineChart({
      title: 'max / mean pod load',
      xLabel: 'time (min)',
      yLabel: 'max / mean',
      yMin: floorAtOne(policies.flatMap((p) => p.samples.map((x) => x.maxOverMean))),
      series: series((i) => (policies[i] as (typeof policies)[number]).samples.map((x) => [minutes(x.tMs), x.maxOverMean] as const)),
    }),
    lineChart({
      title: 'p99 / mean pod load',
      xLabel: 'time (min)',
      yLabel: 'p99 / mean',
      yMin: floorAtOne(policies.flatMap((p) => p.samples.map((x) => x.p99OverMean))),
      series: series((i) => (policies[i] as (typeof policies)[number]).samples.map((x) => [minutes(x.tMs), x.p99OverMean] as const)),
    }),
  );

  sections.push(
    `<h2>Churn</h2>`,
    barChart({
      title: 'moved state per policy (sum over changes)',
      yLabel: 'share moved',
      categories: policies.map((p) => p.policy),
      groups: [
        { name: 'keys moved', color: color(0), values: policies.map((p) => p.summary.keysMoved) },
        { name: 'load moved', color: color(1), values: policies.map((p) => p.summary.loadMoved) },
      ],
    }),
    lineChart({
      title: 'cumulative load moved',
      xLabel: 'time (min)',
      yLabel: 'load moved',
      series: policies.map((p, i) => {
        let acc = 0;
        const pts: (readonly [number, number])[] = [[minutes(s.warmupMs), 0]];
        for (const c of p.changes) {
          pts.push([minutes(c.tMs), acc]);
          acc += c.loadMoved;
          pts.push([minutes(c.tMs), acc]);
        }
        pts.push([minutes(s.durationMs), acc]);
        return { name: p.policy, color: color(i), points: pts };
      }),
    }),
    lineChart({
      title: 'cache hit rate',
      xLabel: 'time (min)',
      yLabel: 'hit rate',
      series: series((i) => (policies[i] as (typeof policies)[number]).samples.map((x) => [minutes(x.tMs), x.cacheHitRate] as const)),
    }),
    lineChart({
      title: 'misrouted + failed requests per sample',
      xLabel: 'time (min)',
      yLabel: 'requests',
      series: series((i) => (policies[i] as (typeof policies)[number]).samples.map((x) => [minutes(x.tMs), x.misrouted + x.failed] as const)),
    }),
  );

  sections.push(`<h2>Load per pod over time</h2>`);
  for (const p of policies) {
    const slots = Math.max(0, ...p.samples.map((x) => x.podLoads.length));
    const podSeries: ChartSeries[] = [];
    for (let slot = 0; slot < slots; slot++) {
      podSeries.push({
        name: `pod-${String(slot).padStart(3, '0')}`,
        color: color(slot),
        points: p.samples.map((x) => [minutes(x.tMs), x.podLoads[slot] ?? null] as const),
      });
    }
    // Tall enough for one legend row per pod (up to 40 pods).
    const height = Math.min(740, Math.max(280, 92 + 16 * slots));
    sections.push(lineChart({ title: `${p.policy}: load per pod`, xLabel: 'time (min)', yLabel: 'load / s', series: podSeries, height }));
  }

  if (result.sweep !== undefined) {
    const sweep = result.sweep;
    const baselines = policies.filter((p) => p.kind !== 'dicer');
    const curve: ChartSeries = {
      name: `dicer (${sweep.knob})`,
      color: color(0),
      points: sweep.points.map((pt) => [pt.summary.loadMoved, pt.summary.meanMaxOverMean] as const),
    };
    const others: ChartSeries[] = baselines.map((p, i) => ({
      name: p.policy,
      color: color(i + 1),
      points: [[p.summary.loadMoved, p.summary.meanMaxOverMean] as const],
    }));
    sections.push(
      `<h2>Sweep: ${escapeXml(sweep.knob)}</h2>`,
      lineChart({
        title: `trade-off: imbalance against churn (varying ${sweep.knob})`,
        xLabel: 'load moved (sum over changes)',
        yLabel: 'mean max / mean',
        series: [curve, ...others],
        pointLabels: [sweep.points.map((pt) => `${sweep.knob}=${pt.value}`), ...others.map((o) => [o.name])],
      }),
    );
  }

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>dicer-sim: ${escapeXml(s.name)}</title>
<style>
body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1000px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
svg.chart { display: block; margin: 12px 0; }
.facts, .note { color: #555; font-size: 13px; }
</style>
</head>
<body>
${sections.join('\n')}
<script type="application/json" id="result-data">${JSON.stringify(result).replace(/</g, '\\u003c')}</script>
</body>
</html>
`;
}
