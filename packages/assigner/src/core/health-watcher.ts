/**
 * The per-target health watcher: turns Slicelet heartbeats into the set of resources the
 * algorithm may assign (Dicer's `HealthWatcher`).
 *
 * Startup states: `init` → `starting(t0)` → `started`. The first event or advance moves `init` to
 * `starting` at its `nowMs`; the watcher reports nothing until `t0 + startupDelayMs` (30 s) so that
 * a fresh generator does not mistake "not heard from yet" for "dead", unless the bootstrap shortcut
 * applies: once the latest assignment observed (from any source) has a generation ≥ the highest
 * non-empty generation reported by a Slicelet (the only reliable source), every resource of that
 * assignment not tracked yet is inserted as Running, expiring at `t0 + unhealthyTimeoutMs`, and the
 * watcher starts at once.
 *
 * Per resource (tracked by UUID): computed status Unknown / NotReady / Running / Terminating.
 * Transitions on a heartbeat (computed, reported → new): Unknown → anything; NotReady →
 * anything; Running + NotReady stays Running; Running → Running / Terminating / Unknown;
 * Terminating is absorbing. Unless `observeSliceletReadiness`, a computed NotReady is then masked
 * to Running. A heartbeat sets the expiry to `now + unhealthyTimeoutMs` (30 s), a Terminating one
 * to `now + terminatingTimeoutMs` (300 s), and once Terminating the expiry is never extended. An
 * expired resource is forgotten (a later heartbeat brings it back as new). A heartbeat whose Squid
 * has the tracked UUID replaces the tracked Squid only if its creation time is not older.
 *
 * Output: once started, a full {@link HealthReport} whenever something changed; the watcher asks
 * to be woken at the next expiry (or at the end of the startup delay).
 *
 * Invariants: H1 no report before `t0 + startupDelayMs` unless bootstrapped; H2 Running never
 * becomes NotReady; H3 Terminating is absorbing and its expiry is not extended; H4 an older Squid
 * for a tracked UUID is ignored; H5 bootstrap only from an assignment whose generation is ≥ the
 * highest one a Slicelet reported.
 *
 * @see algorithm.md §8, store-ha.md §1.3
 */
import { IllegalStateError, InvalidArgumentError, type Squid } from '@dicer-ts/common';

/** A resource's health as the Assigner computes it; only `running` resources are assignable. */
export type HealthStatus = 'unknown' | 'not-ready' | 'running' | 'terminating';

/** The state a Slicelet reports in its heartbeat (`SliceletDataP.State`). */
export type SliceletState = HealthStatus;

/** A generation as far as ordering goes (`Generation` from @dicer-ts/common fits). */
export interface GenerationLike {
  readonly incarnation: bigint;
  readonly number: bigint;
}

/** Health watcher settings. */
export interface HealthWatcherOptions {
  /** When false, a NOT_READY Slicelet counts as Running (Dicer's default). @default false */
  readonly observeSliceletReadiness?: boolean;
  /** How long a heartbeat keeps a resource alive. @default 30_000 */
  readonly unhealthyTimeoutMs?: number;
  /** How long a Terminating resource is remembered; must exceed the k8s grace period. @default 300_000 */
  readonly terminatingTimeoutMs?: number;
  /** How long a new watcher waits before its first report (unless bootstrapped). @default 30_000 */
  readonly startupDelayMs?: number;
}

/** {@link HealthWatcherOptions} with defaults applied. */
export interface ResolvedHealthWatcherOptions {
  readonly observeSliceletReadiness: boolean;
  readonly unhealthyTimeoutMs: number;
  readonly terminatingTimeoutMs: number;
  readonly startupDelayMs: number;
}

/** Default of {@link HealthWatcherOptions.unhealthyTimeoutMs}. */
export const DEFAULT_UNHEALTHY_TIMEOUT_MS = 30_000;
/** Default of {@link HealthWatcherOptions.terminatingTimeoutMs}. */
export const DEFAULT_TERMINATING_TIMEOUT_MS = 300_000;
/** Default of {@link HealthWatcherOptions.startupDelayMs}. */
export const DEFAULT_HEALTH_STARTUP_DELAY_MS = 30_000;

/**
 * Applies the defaults of {@link HealthWatcherOptions} and validates them.
 *
 * @throws {InvalidArgumentError} when a duration is negative or not finite.
 */
export function resolveHealthWatcherOptions(options: HealthWatcherOptions = {}): ResolvedHealthWatcherOptions {
  const resolved = {
    observeSliceletReadiness: options.observeSliceletReadiness ?? false,
    unhealthyTimeoutMs: options.unhealthyTimeoutMs ?? DEFAULT_UNHEALTHY_TIMEOUT_MS,
    terminatingTimeoutMs: options.terminatingTimeoutMs ?? DEFAULT_TERMINATING_TIMEOUT_MS,
    startupDelayMs: options.startupDelayMs ?? DEFAULT_HEALTH_STARTUP_DELAY_MS,
  };
  for (const name of ['unhealthyTimeoutMs', 'terminatingTimeoutMs', 'startupDelayMs'] as const) {
    const v = resolved[name];
    if (!(Number.isFinite(v) && v >= 0)) throw new InvalidArgumentError(`${name} must be finite and non-negative, got ${v}`);
  }
  return Object.freeze(resolved);
}

/** What the health watcher learns. */
export type HealthWatcherEvent =
  /** A Slicelet heartbeat (every Slicelet watch request). */
  | { readonly kind: 'health-status-observed'; readonly squid: Squid; readonly state: SliceletState }
  /** The generation a Slicelet says it knows (reliable source for bootstrap; EMPTY is ignored). */
  | { readonly kind: 'slicelet-generation-observed'; readonly generation: GenerationLike }
  /** The latest known assignment changed (from the store, a Slicelet or a Clerk). */
  | {
      readonly kind: 'assignment-observed';
      readonly generation: GenerationLike;
      readonly resources: readonly Squid[];
    };

/** One resource's entry in a {@link HealthReport}. */
export interface ResourceHealth {
  readonly squid: Squid;
  /** The last state the Slicelet reported (`running` for a resource inserted by bootstrap). */
  readonly reported: SliceletState;
  /** The status the Assigner computed (after masking). */
  readonly computed: HealthStatus;
  /** When the resource is forgotten unless a heartbeat extends it. */
  readonly expiresAtMs: number;
}

/** A full health report: every tracked resource, sorted by Squid. */
export interface HealthReport {
  readonly resources: readonly ResourceHealth[];
}

/** What the watcher asks its driver to do. */
export type HealthWatcherAction = { readonly kind: 'health-report'; readonly report: HealthReport };

/** The result of feeding the watcher: actions to perform and when to advance it next. */
export interface HealthWatcherOutput {
  readonly actions: readonly HealthWatcherAction[];
  /** When to call `onAdvance` next; `undefined` when nothing is pending. */
  readonly wakeAtMs: number | undefined;
}

/** The watcher's startup state. */
export type HealthWatcherState =
  | { readonly kind: 'init' }
  | { readonly kind: 'starting'; readonly startedAtMs: number }
  | { readonly kind: 'started'; readonly startedAtMs: number; readonly reason: 'delay-elapsed' | 'bootstrapped' };

interface Tracked {
  squid: Squid;
  reported: SliceletState;
  computed: HealthStatus;
  expiresAtMs: number;
}

const ALLOWED: Readonly<Record<HealthStatus, ReadonlySet<HealthStatus>>> = {
  unknown: new Set(['unknown', 'not-ready', 'running', 'terminating']),
  'not-ready': new Set(['unknown', 'not-ready', 'running', 'terminating']),
  running: new Set(['unknown', 'running', 'terminating']),
  terminating: new Set(['terminating']),
};

/**
 * The next computed status of a resource whose computed status is `current` on a heartbeat
 * reporting `reported`, before masking (Dicer's transition table).
 */
export function nextHealthStatus(current: HealthStatus, reported: SliceletState): HealthStatus {
  return ALLOWED[current].has(reported) ? reported : current;
}

function compareGenerations(a: GenerationLike, b: GenerationLike): number {
  if (a.incarnation !== b.incarnation) return a.incarnation < b.incarnation ? -1 : 1;
  if (a.number !== b.number) return a.number < b.number ? -1 : 1;
  return 0;
}

/**
 * Dicer's `HealthWatcher`, one per target; see the file comment for states and rules.
 *
 * @example
 * ```ts
 * const watcher = new HealthWatcher({ observeSliceletReadiness: false });
 * const { actions, wakeAtMs } = watcher.onEvent({ kind: 'health-status-observed', squid, state: 'running' }, nowMs);
 * ```
 */
export class HealthWatcher {
  /** The settings in force, defaults applied. */
  readonly options: ResolvedHealthWatcherOptions;
  private currentState: HealthWatcherState = { kind: 'init' };
  /** Tracked resources by UUID. */
  private readonly tracked = new Map<string, Tracked>();
  private dirty = true;
  private latestAssignment: { generation: GenerationLike; resources: readonly Squid[] } | undefined;
  private highestSliceletGeneration: GenerationLike | undefined;
  private lastReport: HealthReport | undefined;

  constructor(options: HealthWatcherOptions = {}) {
    this.options = resolveHealthWatcherOptions(options);
  }

  /** The startup state. */
  get state(): HealthWatcherState {
    return this.currentState;
  }

  /** The last report emitted, if any. */
  get latestReport(): HealthReport | undefined {
    return this.lastReport;
  }

  /** Feeds one event; returns the report to publish (if one is due) and the next wake-up time. */
  onEvent(event: HealthWatcherEvent, nowMs: number): HealthWatcherOutput {
    this.ensureStarting(nowMs);
    this.expire(nowMs);
    switch (event.kind) {
      case 'health-status-observed':
        this.observeHeartbeat(event.squid, event.state, nowMs);
        break;
      case 'slicelet-generation-observed':
        if (!(event.generation.incarnation === 0n && event.generation.number === 0n)) {
          if (this.highestSliceletGeneration === undefined || compareGenerations(event.generation, this.highestSliceletGeneration) > 0) {
            this.highestSliceletGeneration = event.generation;
          }
        }
        break;
      case 'assignment-observed':
        if (this.latestAssignment === undefined || compareGenerations(event.generation, this.latestAssignment.generation) > 0) {
          this.latestAssignment = { generation: event.generation, resources: [...event.resources] };
        }
        break;
    }
    return this.evaluate(nowMs);
  }

  /** Advances time: expires resources and ends the startup delay when due. */
  onAdvance(nowMs: number): HealthWatcherOutput {
    this.ensureStarting(nowMs);
    this.expire(nowMs);
    return this.evaluate(nowMs);
  }

  private ensureStarting(nowMs: number): void {
    if (this.currentState.kind === 'init') this.transition({ kind: 'starting', startedAtMs: nowMs });
  }

  private transition(to: HealthWatcherState): void {
    const from = this.currentState.kind;
    const legal = (from === 'init' && to.kind === 'starting') || (from === 'starting' && to.kind === 'started');
    if (!legal) throw new IllegalStateError(`health watcher cannot move from ${from} to ${to.kind}`);
    this.currentState = to;
  }

  private observeHeartbeat(squid: Squid, reported: SliceletState, nowMs: number): void {
    const existing = this.tracked.get(squid.uuid);
    if (existing === undefined) {
      const computed = this.mask(nextHealthStatus('unknown', reported));
      this.tracked.set(squid.uuid, { squid, reported, computed, expiresAtMs: this.expiryFor(computed, nowMs) });
      this.dirty = true;
      return;
    }
    if (squid.creationTimeMs < existing.squid.creationTimeMs) return; // H4: an older incarnation
    if (!squid.equals(existing.squid)) {
      existing.squid = squid;
      this.dirty = true;
    }
    if (existing.reported !== reported) {
      existing.reported = reported;
      this.dirty = true;
    }
    if (existing.computed === 'terminating') return; // H3: absorbing, expiry not extended
    const computed = this.mask(nextHealthStatus(existing.computed, reported));
    if (computed !== existing.computed) {
      existing.computed = computed;
      this.dirty = true;
    }
    existing.expiresAtMs = this.expiryFor(computed, nowMs);
  }

  private mask(status: HealthStatus): HealthStatus {
    return status === 'not-ready' && !this.options.observeSliceletReadiness ? 'running' : status;
  }

  private expiryFor(computed: HealthStatus, nowMs: number): number {
    return nowMs + (computed === 'terminating' ? this.options.terminatingTimeoutMs : this.options.unhealthyTimeoutMs);
  }

  private expire(nowMs: number): void {
    for (const [uuid, t] of this.tracked) {
      if (t.expiresAtMs <= nowMs) {
        this.tracked.delete(uuid);
        this.dirty = true;
      }
    }
  }

  private evaluate(nowMs: number): HealthWatcherOutput {
    const state = this.currentState;
    if (state.kind === 'starting') {
      if (this.canBootstrap()) {
        for (const squid of this.latestAssignment!.resources) {
          if (this.tracked.has(squid.uuid)) continue;
          this.tracked.set(squid.uuid, {
            squid,
            reported: 'running',
            computed: 'running',
            expiresAtMs: state.startedAtMs + this.options.unhealthyTimeoutMs,
          });
        }
        this.expire(nowMs);
        this.transition({ kind: 'started', startedAtMs: state.startedAtMs, reason: 'bootstrapped' });
        this.dirty = true;
      } else if (nowMs >= state.startedAtMs + this.options.startupDelayMs) {
        this.transition({ kind: 'started', startedAtMs: state.startedAtMs, reason: 'delay-elapsed' });
        this.dirty = true;
      }
    }
    const actions: HealthWatcherAction[] = [];
    if (this.currentState.kind === 'started' && this.dirty) {
      this.dirty = false;
      this.lastReport = this.buildReport();
      actions.push({ kind: 'health-report', report: this.lastReport });
    }
    return { actions, wakeAtMs: this.nextWakeAtMs() };
  }

  private canBootstrap(): boolean {
    return (
      this.latestAssignment !== undefined &&
      this.highestSliceletGeneration !== undefined &&
      compareGenerations(this.latestAssignment.generation, this.highestSliceletGeneration) >= 0
    );
  }

  private nextWakeAtMs(): number | undefined {
    let wake: number | undefined;
    for (const t of this.tracked.values()) wake = wake === undefined ? t.expiresAtMs : Math.min(wake, t.expiresAtMs);
    const state = this.currentState;
    if (state.kind === 'starting') {
      const end = state.startedAtMs + this.options.startupDelayMs;
      wake = wake === undefined ? end : Math.min(wake, end);
    }
    return wake;
  }

  /**
   * Every tracked resource with its current expiry, for debugging. Unlike the last emitted report
   * (which changes only when the healthy set does), expiries here move with each heartbeat.
   */
  liveResources(): HealthReport {
    return this.buildReport();
  }

  private buildReport(): HealthReport {
    const resources = [...this.tracked.values()]
      .map((t): ResourceHealth => ({ squid: t.squid, reported: t.reported, computed: t.computed, expiresAtMs: t.expiresAtMs }))
      .sort((a, b) => a.squid.compare(b.squid));
    return { resources };
  }
}

/**
 * The resources the algorithm may use, from a health report: those computed Running, one per
 * address, keeping the latest creation time (Dicer's `Resources.create`; on a tie the first in
 * Squid order), sorted by Squid.
 */
export function availableResources(report: HealthReport): Squid[] {
  const running = report.resources.filter((r) => r.computed === 'running').map((r) => r.squid);
  running.sort((a, b) => a.compare(b));
  const out: Squid[] = [];
  for (const squid of running) {
    const last = out[out.length - 1];
    // Sorted by address first, so incarnations of one address are adjacent; address equality is
    // Java URI equality (case-insensitive scheme and host), not string equality.
    if (last !== undefined && last.resourceAddress.equals(squid.resourceAddress)) {
      if (squid.creationTimeMs > last.creationTimeMs) out[out.length - 1] = squid;
    } else {
      out.push(squid);
    }
  }
  return out;
}
