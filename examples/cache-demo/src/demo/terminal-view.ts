/**
 * The live view `npm start` prints every second: one row per cache server, the load generator's
 * totals, and the latest assignment events. Pure: a {@link ViewInput} in, the text out.
 */

/** One cache server row. */
export interface PodRow {
  readonly name: string;
  readonly port: number;
  /** The Assigner's health status for the pod (`running`, `terminating`, …), or `down` / `starting`. */
  readonly state: string;
  /** Slices the Assigner gives it. */
  readonly slices: number;
  /** The load the Assigner last recorded for it. */
  readonly assignerLoad: number;
  /** Requests per second it served over the last interval. */
  readonly requestsPerSecond: number;
  /** Cache hit percentage of its Gets over the last interval, or undefined without Gets. */
  readonly hitPercent: number | undefined;
  /** Misdirected requests it served over the last interval. */
  readonly misdirected: number;
}

/** Everything one frame shows. */
export interface ViewInput {
  readonly elapsedMs: number;
  readonly debugUrl: string;
  /** The store in use, e.g. `in-memory` or `etcd`. */
  readonly store: string;
  readonly generation: string | undefined;
  /** Total slices in the latest assignment. */
  readonly sliceCount: number;
  readonly pods: readonly PodRow[];
  /** The load generator over the last interval. */
  readonly load: {
    readonly targetRate: number;
    readonly requestsPerSecond: number;
    readonly failed: number;
    readonly retries: number;
    readonly misdirectedPercent: number;
    readonly hitPercent: number | undefined;
    readonly hotKey: boolean;
    readonly failedTotal: number;
    readonly requestsTotal: number;
  } | undefined;
  /** Newest last. */
  readonly events: readonly string[];
  /** What the demo is doing now (rolling restart step, hot key), if anything. */
  readonly activity?: string | undefined;
}

/** max/mean of the positive request rates of running pods (1 when fewer than one). */
export function maxOverMean(rates: readonly number[]): number {
  if (rates.length === 0) return 1;
  const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
  return mean > 0 ? Math.max(...rates) / mean : 1;
}

function pct(value: number | undefined): string {
  return value === undefined ? '   -' : `${value.toFixed(0).padStart(3)}%`;
}

/** Short form of a generation (`0#1795752660306 (2026-…)` → `…660306`). */
export function shortGeneration(generation: string | undefined): string {
  if (generation === undefined || generation === '') return '-';
  const number = generation.split(' ')[0]!;
  return number.length > 12 ? `…${number.slice(-8)}` : number;
}

/** Renders one frame. */
export function renderView(input: ViewInput): string {
  const lines: string[] = [];
  const seconds = Math.floor(input.elapsedMs / 1000);
  lines.push(
    `dicer-ts cache demo · ${seconds}s · store ${input.store} · generation ${shortGeneration(input.generation)} · ${input.sliceCount} slices · debug page ${input.debugUrl}`,
  );
  lines.push('');
  lines.push('pod        port   state        slices  load(assigner)  req/s   hit%  misdirected');
  for (const p of input.pods) {
    lines.push(
      [
        p.name.padEnd(10),
        String(p.port).padEnd(6),
        p.state.padEnd(12),
        String(p.slices).padStart(6),
        p.assignerLoad.toFixed(1).padStart(15),
        p.requestsPerSecond.toFixed(0).padStart(6),
        pct(p.hitPercent).padStart(6),
        String(p.misdirected).padStart(12),
      ].join(' '),
    );
  }
  const running = input.pods.filter((p) => p.state === 'running' && p.requestsPerSecond > 0).map((p) => p.requestsPerSecond);
  lines.push('');
  lines.push(`pod load max/mean ${maxOverMean(running).toFixed(2)}`);
  const l = input.load;
  if (l === undefined) {
    lines.push('load generator: starting');
  } else {
    lines.push(
      `load generator: ${l.requestsPerSecond.toFixed(0)}/${l.targetRate} req/s · hit ${pct(l.hitPercent).trim()} · misdirected ${l.misdirectedPercent.toFixed(2)}% · failed ${l.failed} (total ${l.failedTotal} of ${l.requestsTotal}) · retries ${l.retries} · hot key ${l.hotKey ? 'ON' : 'off'}`,
    );
  }
  if (input.activity !== undefined) lines.push(`now: ${input.activity}`);
  lines.push('');
  lines.push('events:');
  if (input.events.length === 0) lines.push('  (none yet)');
  for (const e of input.events) lines.push(`  ${e}`);
  lines.push('');
  lines.push('Ctrl-C stops the demo.');
  return `${lines.join('\n')}\n`;
}
