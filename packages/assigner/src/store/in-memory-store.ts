/**
 * The embedded, non-durable store (Dicer's `InMemoryStore`): the default for a single Assigner.
 * Its incarnation must be loose (0 or odd, store-ha.md §2.2), because a restart forgets
 * everything and histories may diverge; a restarted Assigner recovers the latest assignment from
 * the Slicelets and Clerks that send it back (`informAssignment`).
 *
 * Per target it keeps the newest assignment in its own incarnation and the watchers. A write is a
 * compare-and-swap on the predecessor generation; the new generation is
 * `Generation.createForCurrentTime(incarnation, now, lowerBound)` with the injected clock, where
 * the lower bound is the newest generation the store has seen for the target in its incarnation.
 *
 * Callbacks are delivered on a microtask, never inside the call that caused them, so a generator
 * that writes from its serial queue is not re-entered.
 *
 * @see store-ha.md §2.1–2.2
 */
import {
  type Assignment,
  ClosedError,
  type Clock,
  Generation,
  InvalidArgumentError,
  SYSTEM_CLOCK,
  type Target,
  isLooseIncarnation,
} from '@dicer-ts/common';
import { commitProposal } from './commit-proposal.js';
import type { CancelWatch, ProposedAssignment, Store, WriteAssignmentResult } from './store.js';

/** Options of {@link InMemoryStore}. */
export interface InMemoryStoreOptions {
  /** The store incarnation; must be loose (0 or odd). @default 0n */
  readonly storeIncarnation?: bigint;
  /** The clock generation numbers come from. @default SYSTEM_CLOCK */
  readonly clock?: Clock;
}

interface TargetEntry {
  /** The newest assignment in the store's incarnation; invariant: only grows. */
  latest: Assignment | undefined;
  readonly watchers: Set<(assignment: Assignment) => void>;
}

/**
 * A {@link Store} held in process memory.
 *
 * @example
 * ```ts
 * const store = new InMemoryStore({ clock });
 * const result = await store.writeAssignment(target, false, { predecessor: undefined, slices });
 * ```
 */
export class InMemoryStore implements Store {
  readonly storeIncarnation: bigint;
  private readonly clock: Clock;
  private readonly targets = new Map<string, TargetEntry>();
  private closed = false;

  /** @throws {InvalidArgumentError} when `storeIncarnation` is not loose or out of range. */
  constructor(options: InMemoryStoreOptions = {}) {
    const incarnation = options.storeIncarnation ?? 0n;
    Generation.create(incarnation, 0n); // range check with Dicer's texts
    if (!isLooseIncarnation(incarnation)) {
      throw new InvalidArgumentError(`storeIncarnation of the in-memory store must be loose (0 or odd), got ${incarnation}`);
    }
    this.storeIncarnation = incarnation;
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  watchAssignments(target: Target, callback: (assignment: Assignment) => void): CancelWatch {
    this.checkOpen();
    const entry = this.entry(target);
    entry.watchers.add(callback);
    const latest = entry.latest;
    if (latest !== undefined) {
      queueMicrotask(() => {
        if (entry.watchers.has(callback)) callback(latest);
      });
    }
    return () => {
      entry.watchers.delete(callback);
    };
  }

  async writeAssignment(target: Target, shouldFreeze: boolean, proposal: ProposedAssignment): Promise<WriteAssignmentResult> {
    this.checkOpen();
    const entry = this.entry(target);
    const existing = entry.latest?.generation;
    const claimed = proposal.predecessor?.generation;
    const matches = existing === undefined ? claimed === undefined : claimed !== undefined && claimed.equals(existing);
    if (!matches) return { kind: 'occ-failure', existingGeneration: existing ?? Generation.EMPTY };
    let lowerBound = existing ?? Generation.EMPTY;
    if (claimed !== undefined && claimed.incarnation === this.storeIncarnation && claimed.compare(lowerBound) > 0) lowerBound = claimed;
    if (lowerBound.incarnation !== this.storeIncarnation) lowerBound = Generation.EMPTY;
    const generation = Generation.createForCurrentTime(this.storeIncarnation, Math.floor(this.clock.nowMs()), lowerBound);
    const assignment = commitProposal(proposal, generation, shouldFreeze);
    this.publish(entry, assignment);
    return { kind: 'committed', assignment };
  }

  informAssignment(target: Target, assignment: Assignment): void {
    if (this.closed) return;
    if (assignment.generation.incarnation !== this.storeIncarnation) return;
    const entry = this.entry(target);
    if (entry.latest !== undefined && entry.latest.generation.compare(assignment.generation) >= 0) return;
    this.publish(entry, assignment);
  }

  getLatestKnownAssignment(target: Target): Assignment | undefined {
    return this.targets.get(target.toString())?.latest;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const entry of this.targets.values()) entry.watchers.clear();
  }

  private publish(entry: TargetEntry, assignment: Assignment): void {
    entry.latest = assignment;
    const watchers = [...entry.watchers];
    queueMicrotask(() => {
      // Skip watchers that cancelled meanwhile, and deliveries overtaken by a newer assignment.
      if (entry.latest !== assignment) return;
      for (const w of watchers) if (entry.watchers.has(w)) w(assignment);
    });
  }

  private entry(target: Target): TargetEntry {
    const key = target.toString();
    let entry = this.targets.get(key);
    if (entry === undefined) {
      entry = { latest: undefined, watchers: new Set() };
      this.targets.set(key, entry);
    }
    return entry;
  }

  private checkOpen(): void {
    if (this.closed) throw new ClosedError('the store is closed');
  }
}
