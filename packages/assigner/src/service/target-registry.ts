/**
 * The per-target state of an Assigner: one {@link GeneratorDriver} and one `SubscriberHub` per
 * target (store-ha.md §4.1), keyed by the normalized target string.
 *
 * Lifecycle (store-ha.md §1.4): a generator is created lazily on the first watch for a target that
 * has a config; it is shut down and dropped when the target's config changes
 * (`TARGET_CONFIG_CHANGE`; a fresh one, with fresh health and load state, is made on the next
 * watch), when no watch arrived for `generatorInactivityDeadlineMs` (`GENERATOR_INACTIVITY`,
 * checked every `generatorInactivityScanIntervalMs`, so effective after 300–360 s by default), and
 * on close (`SHUTDOWN`). Hubs are created lazily and kept across a generator restart, as in Dicer, so
 * parked watchers survive it and the new generator republishes the latest assignment it learns;
 * unlike Dicer, the hub of a target dropped for inactivity is dropped too (it has no watchers).
 */
import { type Clock, type Logger, SubscriberHub, type Target, componentLogger } from '@dicer-ts/common';
import type { AssignerMetrics } from '../debug/metrics.js';
import { targetLabels } from '../debug/metrics.js';
import type { Store } from '../store/store.js';
import { GeneratorDriver, type GeneratorSnapshot, type GeneratorTimingOptions } from './generator-driver.js';
import type { LoadedTargetConfig } from './target-config-provider.js';

/** What a {@link TargetRegistry} needs. */
export interface TargetRegistryOptions {
  readonly store: Store;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: AssignerMetrics;
  readonly timing: GeneratorTimingOptions;
  /** Idle generators are dropped after this long without a watch. */
  readonly generatorInactivityDeadlineMs: number;
  /** How often idle generators are looked for. */
  readonly generatorInactivityScanIntervalMs: number;
  /** Suggested watch timeout for Slicelets. */
  readonly sliceletSuggestedRpcTimeoutMs: number;
  /** Suggested watch timeout for Clerks. */
  readonly clerkSuggestedRpcTimeoutMs: number;
  /** Most parked calls per target. */
  readonly maxParkedCallsPerTarget: number;
  /** Redirect of every reply (preferred-assigner mode, issue #5: our own URI). @default none */
  readonly redirectAddress?: (() => string | undefined) | undefined;
}

/** A target's generator and hub. */
export interface TargetEntry {
  readonly target: Target;
  readonly generator: GeneratorDriver;
  readonly hub: SubscriberHub;
}

/** The targets an Assigner is serving; see the file comment. */
export class TargetRegistry {
  private readonly options: TargetRegistryOptions;
  private readonly log: Logger;
  private readonly generators = new Map<string, GeneratorDriver>();
  private readonly hubs = new Map<string, { readonly target: Target; readonly hub: SubscriberHub }>();
  private cancelScan: (() => void) | undefined;
  private closed = false;

  constructor(options: TargetRegistryOptions) {
    this.options = options;
    this.log = componentLogger(options.logger, 'assigner');
    this.scheduleScan();
  }

  /** The entry of `target`, creating its hub and generator if needed. */
  getOrCreate(target: Target, config: LoadedTargetConfig): TargetEntry {
    const key = target.toString();
    const hub = this.hubFor(target);
    let generator = this.generators.get(key);
    if (generator === undefined) {
      generator = new GeneratorDriver({
        target,
        config: config.config,
        store: this.options.store,
        clock: this.options.clock,
        logger: this.options.logger,
        metrics: this.options.metrics,
        timing: this.options.timing,
        onDistribute: (assignment) => hub.publish(assignment),
      });
      this.generators.set(key, generator);
      this.options.metrics.activeGenerators.set(this.generators.size);
    }
    return { target, generator, hub };
  }

  /** The generator of `target`, if one is running. */
  generator(target: Target): GeneratorDriver | undefined {
    return this.generators.get(target.toString());
  }

  /** Shuts down every generator of targets named `name` (configs are keyed by name). */
  removeByName(name: string, reason: 'TARGET_CONFIG_CHANGE' | 'SHUTDOWN' | 'PREFERRED_ASSIGNER_CHANGE'): void {
    for (const [key, generator] of this.generators) {
      if (generator.target.name === name) this.remove(key, generator, reason);
    }
  }

  /** Drops generators that saw no watch for the inactivity deadline. */
  scanInactive(): void {
    const now = this.options.clock.nowMs();
    for (const [key, generator] of this.generators) {
      if (now - generator.lastWatchAtMs >= this.options.generatorInactivityDeadlineMs) this.remove(key, generator, 'GENERATOR_INACTIVITY');
    }
  }

  /** Snapshots of every running generator, sorted by target. */
  snapshots(): GeneratorSnapshot[] {
    return [...this.generators.keys()].sort().map((k) => (this.generators.get(k) as GeneratorDriver).snapshot());
  }

  /** Watch calls parked right now, over all targets. */
  parkedCalls(): number {
    let n = 0;
    for (const { hub } of this.hubs.values()) n += hub.stats().parkedCalls;
    return n;
  }

  /** Parked calls per target, for the subscriber gauge. */
  updateSubscriberGauge(): void {
    for (const { target, hub } of this.hubs.values()) {
      this.options.metrics.subscribers.set(targetLabels(target), hub.stats().parkedCalls);
    }
  }

  /** Shuts down every generator and releases every parked watcher; idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelScan?.();
    for (const [key, generator] of this.generators) this.remove(key, generator, 'SHUTDOWN');
    for (const { hub } of this.hubs.values()) hub.close();
  }

  private hubFor(target: Target): SubscriberHub {
    const key = target.toString();
    let entry = this.hubs.get(key);
    if (entry === undefined) {
      const { clerkSuggestedRpcTimeoutMs, sliceletSuggestedRpcTimeoutMs } = this.options;
      entry = {
        target,
        hub: new SubscriberHub({
          clock: this.options.clock,
          logger: componentLogger(this.options.logger, 'subscriber-hub', { target: key }),
          suggestedRpcTimeoutMs: (kind) => (kind === 'clerk' ? clerkSuggestedRpcTimeoutMs : sliceletSuggestedRpcTimeoutMs),
          maxParkedCalls: this.options.maxParkedCallsPerTarget,
          ...(this.options.redirectAddress === undefined ? {} : { redirectAddress: this.options.redirectAddress }),
        }),
      };
      this.hubs.set(key, entry);
    }
    return entry.hub;
  }

  private remove(key: string, generator: GeneratorDriver, reason: string): void {
    generator.shutdown(reason);
    this.generators.delete(key);
    // Unlike Dicer, an idle target's hub goes too: otherwise requests naming ever new clusters or
    // instance ids of a configured name would grow the hub map without bound.
    const hub = this.hubs.get(key);
    if (reason === 'GENERATOR_INACTIVITY' && hub !== undefined && hub.hub.stats().parkedCalls === 0) {
      hub.hub.close();
      this.hubs.delete(key);
    }
    this.options.metrics.generatorsRemoved.inc({ reason });
    this.options.metrics.activeGenerators.set(this.generators.size);
    this.log.info({ target: key, reason }, 'generator removed');
  }

  private scheduleScan(): void {
    if (this.closed) return;
    this.cancelScan = this.options.clock.setTimer(this.options.generatorInactivityScanIntervalMs, () => {
      this.scanInactive();
      this.scheduleScan();
    });
  }
}
