/**
 * The key-of-death detector: spots a "poison key" that crashes every pod it lands on, from the
 * sequence of health reports (Dicer's `KeyOfDeathDetector`). In Dicer its actions are ignored by
 * the generator (a TODO there), so this port is detection plus counters only: nothing here changes
 * an assignment.
 *
 * A crash is a resource Running in the previous report and absent or Unknown in the current one;
 * Running → Terminating and NotReady → anything are not crashes (K1). Each crash is recorded until
 * `now + crashRecordRetentionMs`, and repeated crashes of one Squid count separately. The heuristic
 * is `crashes / W` with `W = max(frozenWorkloadSize, healthyNow)` (just the crash count when W is
 * 0), so a scale-up while endangered lowers it (K2).
 *
 * States: `stable` → (any crash; freeze `W0 = healthy + crashes`) → `endangered` → (heuristic ≥
 * threshold) → `poisoned`; `endangered` → (no crash records left) → `stable`; `poisoned` → (no
 * crash records left) → `stable`, emitting `restore-stability`. Transitions re-evaluate in the same
 * step, so several simultaneous crashes can go from stable to poisoned at once.
 *
 * @see algorithm.md §9
 */
import { IllegalStateError, InvalidArgumentError, type Squid } from '@dicer-ts/common';
import type { HealthReport } from './health-watcher.js';

/** Key-of-death detector settings. */
export interface KeyOfDeathDetectorOptions {
  /** How long a crash counts. @default 3_600_000 (1 h) */
  readonly crashRecordRetentionMs?: number;
  /** The heuristic at or above which the target is poisoned, in (0, 1]. @default 0.25 */
  readonly heuristicThreshold?: number;
}

/** {@link KeyOfDeathDetectorOptions} with defaults applied. */
export interface ResolvedKeyOfDeathDetectorOptions {
  readonly crashRecordRetentionMs: number;
  readonly heuristicThreshold: number;
}

/** Default of {@link KeyOfDeathDetectorOptions.crashRecordRetentionMs}. */
export const DEFAULT_CRASH_RECORD_RETENTION_MS = 3_600_000;
/** Default of {@link KeyOfDeathDetectorOptions.heuristicThreshold}. */
export const DEFAULT_KEY_OF_DEATH_HEURISTIC_THRESHOLD = 0.25;

/**
 * Applies the defaults of {@link KeyOfDeathDetectorOptions} and validates them.
 *
 * @throws {InvalidArgumentError} for a threshold outside (0, 1] or a negative retention.
 */
export function resolveKeyOfDeathDetectorOptions(options: KeyOfDeathDetectorOptions = {}): ResolvedKeyOfDeathDetectorOptions {
  const resolved = {
    crashRecordRetentionMs: options.crashRecordRetentionMs ?? DEFAULT_CRASH_RECORD_RETENTION_MS,
    heuristicThreshold: options.heuristicThreshold ?? DEFAULT_KEY_OF_DEATH_HEURISTIC_THRESHOLD,
  };
  if (!(resolved.heuristicThreshold > 0 && resolved.heuristicThreshold <= 1)) {
    throw new InvalidArgumentError(`heuristicThreshold must be in (0, 1], got ${resolved.heuristicThreshold}`);
  }
  if (!(Number.isFinite(resolved.crashRecordRetentionMs) && resolved.crashRecordRetentionMs >= 0)) {
    throw new InvalidArgumentError(`crashRecordRetentionMs must be finite and non-negative, got ${resolved.crashRecordRetentionMs}`);
  }
  return Object.freeze(resolved);
}

/** The detector's state. */
export type KeyOfDeathState =
  | { readonly kind: 'stable' }
  | { readonly kind: 'endangered'; readonly frozenWorkloadSize: number }
  | { readonly kind: 'poisoned'; readonly frozenWorkloadSize: number };

/** What the detector emits (for metrics and logs only). */
export type KeyOfDeathAction = { readonly kind: 'transition-to-poisoned' } | { readonly kind: 'restore-stability' };

/** The result of feeding the detector. */
export interface KeyOfDeathOutput {
  readonly actions: readonly KeyOfDeathAction[];
  /** When the next crash record expires; `undefined` when none is held. */
  readonly wakeAtMs: number | undefined;
}

/** Counters the service turns into metrics. */
export interface KeyOfDeathStats {
  /** Crashes detected since creation. */
  readonly crashes: number;
  /** Transitions into `poisoned`. */
  readonly poisonedTransitions: number;
  /** Crash records currently held. */
  readonly activeCrashRecords: number;
  /** The current heuristic. */
  readonly heuristic: number;
}

interface CrashRecord {
  readonly squid: Squid;
  readonly expiresAtMs: number;
}

/**
 * Dicer's `KeyOfDeathDetector`, one per target; see the file comment.
 */
export class KeyOfDeathDetector {
  /** The settings in force, defaults applied. */
  readonly options: ResolvedKeyOfDeathDetectorOptions;
  private currentState: KeyOfDeathState = { kind: 'stable' };
  /** Squids Running in the previous report. */
  private previousRunning: Squid[] = [];
  private healthyNow = 0;
  private crashRecords: CrashRecord[] = [];
  private crashCount = 0;
  private poisonedCount = 0;

  constructor(options: KeyOfDeathDetectorOptions = {}) {
    this.options = resolveKeyOfDeathDetectorOptions(options);
  }

  /** The current state. */
  get state(): KeyOfDeathState {
    return this.currentState;
  }

  /** A copy of the counters. */
  get stats(): KeyOfDeathStats {
    return {
      crashes: this.crashCount,
      poisonedTransitions: this.poisonedCount,
      activeCrashRecords: this.crashRecords.length,
      heuristic: this.heuristic(),
    };
  }

  /** Feeds a computed health report (each one the health watcher emits). */
  onEvent(event: { readonly kind: 'health-report'; readonly report: HealthReport }, nowMs: number): KeyOfDeathOutput {
    this.expire(nowMs);
    const current = new Map<string, 'running' | 'other'>();
    for (const r of event.report.resources) {
      // Unknown counts as gone; NotReady and Terminating are present but not crashed.
      if (r.computed !== 'unknown') current.set(squidKey(r.squid), r.computed === 'running' ? 'running' : 'other');
    }
    for (const squid of this.previousRunning) {
      if (!current.has(squidKey(squid))) {
        this.crashRecords.push({ squid, expiresAtMs: nowMs + this.options.crashRecordRetentionMs });
        this.crashCount++;
      }
    }
    this.previousRunning = event.report.resources.filter((r) => r.computed === 'running').map((r) => r.squid);
    this.healthyNow = this.previousRunning.length;
    return this.evaluate();
  }

  /** Advances time: expires crash records. */
  onAdvance(nowMs: number): KeyOfDeathOutput {
    this.expire(nowMs);
    return this.evaluate();
  }

  /** `crashes / max(frozenWorkloadSize, healthyNow)`, or the crash count when that is 0. */
  private heuristic(): number {
    const frozen = this.currentState.kind === 'stable' ? 0 : this.currentState.frozenWorkloadSize;
    const w = Math.max(frozen, this.healthyNow);
    return w === 0 ? this.crashRecords.length : this.crashRecords.length / w;
  }

  private expire(nowMs: number): void {
    this.crashRecords = this.crashRecords.filter((c) => c.expiresAtMs > nowMs);
  }

  private evaluate(): KeyOfDeathOutput {
    const actions: KeyOfDeathAction[] = [];
    // Re-evaluate until no transition fires, so simultaneous crashes can go stable → poisoned at once.
    for (;;) {
      const s = this.currentState;
      if (s.kind === 'stable' && this.crashRecords.length > 0) {
        this.transition({ kind: 'endangered', frozenWorkloadSize: this.healthyNow + this.crashRecords.length });
      } else if (s.kind === 'endangered' && this.crashRecords.length === 0) {
        this.transition({ kind: 'stable' });
      } else if (s.kind === 'endangered' && this.heuristic() >= this.options.heuristicThreshold) {
        this.transition({ kind: 'poisoned', frozenWorkloadSize: s.frozenWorkloadSize });
        this.poisonedCount++;
        actions.push({ kind: 'transition-to-poisoned' });
      } else if (s.kind === 'poisoned' && this.crashRecords.length === 0) {
        this.transition({ kind: 'stable' });
        actions.push({ kind: 'restore-stability' });
      } else {
        break;
      }
    }
    const wakeAtMs = this.crashRecords.length === 0 ? undefined : Math.min(...this.crashRecords.map((c) => c.expiresAtMs));
    return { actions, wakeAtMs };
  }

  private transition(to: KeyOfDeathState): void {
    const from = this.currentState.kind;
    const legal =
      (from === 'stable' && to.kind === 'endangered') ||
      (from === 'endangered' && (to.kind === 'stable' || to.kind === 'poisoned')) ||
      (from === 'poisoned' && to.kind === 'stable');
    if (!legal) throw new IllegalStateError(`key-of-death detector cannot move from ${from} to ${to.kind}`);
    this.currentState = to;
  }
}

function squidKey(squid: Squid): string {
  return `${squid.uuid}|${squid.creationTimeMs}|${squid.resourceAddress.uri}`;
}
