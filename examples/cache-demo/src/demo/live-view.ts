/**
 * Turns what a {@link DemoCluster} reports (the children's cumulative `stats` lines and the
 * Assigner's debug JSON) into the per-interval figures of a {@link ViewInput}, and keeps the
 * event log: new generations with their reason, and what each changed (split, merge, replicate,
 * move).
 */
import type { CacheServerStats, LoadGeneratorStats } from '../process-messages.js';
import { describeChanges, diffAssignments } from './assignment-events.js';
import type { DebugJsonTarget } from './debug-json.js';
import type { DemoCluster } from './demo-cluster.js';
import type { PodRow, ViewInput } from './terminal-view.js';

/** Events kept in the view. */
const MAX_EVENTS = 8;

/** The live view's state between frames. */
export class LiveView {
  private readonly startedAtMs: number;
  private readonly previousServer = new Map<number, CacheServerStats>();
  private previousLoad: LoadGeneratorStats | undefined;
  private previousTarget: DebugJsonTarget | undefined;
  private readonly events: string[] = [];

  constructor(
    private readonly cluster: DemoCluster,
    private readonly store: string,
    startedAtMs: number = Date.now(),
  ) {
    this.startedAtMs = startedAtMs;
  }

  /** Adds a line to the event log (the demo's own actions: restarts, hot key). */
  note(event: string, nowMs: number = Date.now()): void {
    this.events.push(`${String(Math.floor((nowMs - this.startedAtMs) / 1000)).padStart(4)}s  ${event}`);
    if (this.events.length > MAX_EVENTS) this.events.splice(0, this.events.length - MAX_EVENTS);
  }

  /** Builds the next frame; `activity` is shown as what the demo is doing now. */
  async frame(activity?: string, nowMs: number = Date.now()): Promise<ViewInput> {
    let target: DebugJsonTarget | undefined;
    try {
      target = await this.cluster.debugTarget();
    } catch {
      target = this.previousTarget;
    }
    if (target !== undefined && this.previousTarget !== undefined && target.generation !== this.previousTarget.generation) {
      const latest = target.generations[0];
      const what = describeChanges(diffAssignments(this.previousTarget.slices, target.slices)) ?? 'no change';
      this.note(`new assignment${latest === undefined ? '' : ` (${latest.reason})`}: ${what}`, nowMs);
    } else if (target !== undefined && this.previousTarget === undefined && target.generation !== undefined) {
      this.note(`first assignment: ${target.slices.length} slices on ${target.pods.length} pods`, nowMs);
    }
    if (target?.generation !== undefined) this.previousTarget = target;

    const pods: PodRow[] = [...this.cluster.servers].sort((a, b) => a.index - b.index).map((slot) => {
      const stats = slot.process.latestStats;
      const previous = this.previousServer.get(slot.index);
      const sameProcess = previous !== undefined && stats !== undefined && previous.pid === stats.pid;
      const dt = sameProcess ? (stats.atMs - previous.atMs) / 1000 : 0;
      const requests = stats === undefined ? 0 : stats.requests - (sameProcess ? previous.requests : 0);
      const hits = stats === undefined ? 0 : stats.hits - (sameProcess ? previous.hits : 0);
      const gets = stats === undefined ? 0 : hits + stats.misses - (sameProcess ? previous.misses : 0);
      if (stats !== undefined) this.previousServer.set(slot.index, stats);
      // A restarted server's old incarnation stays listed (terminating) beside the new one.
      const incarnations = target?.pods.filter((p) => p.address.endsWith(`:${slot.port}`)) ?? [];
      const pod = incarnations.find((p) => p.state === 'running') ?? incarnations[0];
      return {
        name: slot.name,
        port: slot.port,
        state: !slot.process.isRunning ? 'down' : stats === undefined ? 'starting' : (pod?.state ?? stats.lifecycle),
        slices: target?.slices.filter((s) => s.resources.some((r) => r.endsWith(`:${slot.port}`))).length ?? 0,
        assignerLoad: pod?.load ?? 0,
        requestsPerSecond: dt > 0 ? requests / dt : 0,
        hitPercent: gets > 0 ? (100 * hits) / gets : undefined,
        misdirected: sameProcess ? stats.misdirected - previous.misdirected : 0,
      };
    });

    const loadStats = this.cluster.loadGenerator?.latestStats;
    let load: ViewInput['load'];
    if (loadStats !== undefined) {
      const p = this.previousLoad;
      const dt = p === undefined ? 0 : (loadStats.atMs - p.atMs) / 1000;
      const done = loadStats.succeeded + loadStats.failed - (p === undefined ? 0 : p.succeeded + p.failed);
      const hits = loadStats.hits - (p?.hits ?? 0);
      const gets = hits + loadStats.misses - (p?.misses ?? 0);
      load = {
        targetRate: loadStats.rate,
        requestsPerSecond: dt > 0 ? done / dt : 0,
        failed: loadStats.failed - (p?.failed ?? 0),
        retries: loadStats.retries - (p?.retries ?? 0),
        misdirectedPercent: done > 0 ? (100 * (loadStats.misdirected - (p?.misdirected ?? 0))) / done : 0,
        hitPercent: gets > 0 ? (100 * hits) / gets : undefined,
        hotKey: loadStats.hotKey,
        failedTotal: loadStats.failed,
        requestsTotal: loadStats.succeeded + loadStats.failed,
      };
      this.previousLoad = loadStats;
    }
    return {
      elapsedMs: nowMs - this.startedAtMs,
      debugUrl: `http://127.0.0.1:${this.cluster.debugPort}`,
      store: this.store,
      generation: target?.generation,
      sliceCount: target?.slices.length ?? 0,
      pods,
      load,
      events: [...this.events],
      activity,
    };
  }
}
