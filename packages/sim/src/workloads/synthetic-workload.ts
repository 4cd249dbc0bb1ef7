import { SeededRandom, InvalidArgumentError } from '@dicer-ts/common';
import { KeySpace } from '../engine/key-space.js';
import type { SyntheticWorkloadSpec, Workload } from './workload.js';
import { ZipfSampler } from './zipf-sampler.js';

/** How many of the most popular ranks popularity drift reshuffles. */
const DRIFT_TOP_RANKS = 1000;

/**
 * The {@link SyntheticWorkloadSpec} generator: Zipf or uniform popularity over a random
 * rank → key permutation, plus hot key, diurnal rate and popularity drift. Separate seeded streams
 * drive the request draws, the permutation, the hot keys and the drift, so changing one modifier
 * does not reshuffle the others.
 */
export class SyntheticWorkload implements Workload {
  readonly keySpace: KeySpace;
  readonly meanLoadPerSecond: number;
  private readonly sampler: ZipfSampler;
  private readonly rankToKey: Int32Array;
  private readonly random: SeededRandom;
  private readonly driftRandom: SeededRandom;
  private readonly hotRandom: SeededRandom;
  private readonly hotKeys: number[] = [];
  private readonly cost: number;
  private driftSteps = 0;
  private carry = 0;

  constructor(
    readonly spec: SyntheticWorkloadSpec,
    seed: number,
    keySpace?: KeySpace,
  ) {
    validate(spec);
    this.keySpace = keySpace ?? KeySpace.synthetic(spec.keys);
    this.sampler = new ZipfSampler(spec.keys, spec.zipfExponent ?? 0);
    this.cost = spec.costPerRequest ?? 1;
    this.meanLoadPerSecond = spec.ratePerSecond * this.cost;
    this.random = new SeededRandom(seed);
    this.driftRandom = new SeededRandom(seed ^ 0x2545f491);
    this.hotRandom = new SeededRandom(seed ^ 0x68e31da4);
    const permRandom = new SeededRandom(seed ^ 0x1b873593);
    this.rankToKey = new Int32Array(spec.keys);
    for (let i = 0; i < spec.keys; i++) this.rankToKey[i] = i;
    for (let i = spec.keys - 1; i > 0; i--) {
      const j = permRandom.nextInt(i + 1);
      const t = this.rankToKey[i] as number;
      this.rankToKey[i] = this.rankToKey[j] as number;
      this.rankToKey[j] = t;
    }
  }

  /** The hot key at `atMs`, if one is active. */
  hotKeyAt(atMs: number): number | undefined {
    const hot = this.spec.hotKey;
    if (hot === undefined || atMs < hot.atMs) return undefined;
    const period = hot.moveEveryMs === undefined ? 0 : Math.floor((atMs - hot.atMs) / hot.moveEveryMs);
    while (this.hotKeys.length <= period) this.hotKeys.push(this.hotRandom.nextInt(this.spec.keys));
    return this.hotKeys[period];
  }

  /** The request rate (per second) at `atMs`. */
  rateAt(atMs: number): number {
    const d = this.spec.diurnal;
    const base = this.spec.ratePerSecond;
    return d === undefined ? base : Math.max(0, base * (1 + d.amplitude * Math.sin((2 * Math.PI * atMs) / d.periodMs)));
  }

  requestsIn(startMs: number, tickMs: number, emit: (keyId: number, cost: number) => void): void {
    this.applyDrift(startMs);
    const expected = (this.rateAt(startMs) * tickMs) / 1000 + this.carry;
    const count = Math.floor(expected);
    this.carry = expected - count;
    const hotKey = this.hotKeyAt(startMs);
    const share = this.spec.hotKey?.share ?? 0;
    const random = this.random;
    const sampler = this.sampler;
    const rankToKey = this.rankToKey;
    const cost = this.cost;
    for (let i = 0; i < count; i++) {
      if (hotKey !== undefined && random.next() < share) emit(hotKey, cost);
      else emit(rankToKey[sampler.sample(random)] as number, cost);
    }
  }

  keyShares(atMs: number): Float64Array {
    const shares = new Float64Array(this.spec.keys);
    const hotKey = this.hotKeyAt(atMs);
    const hotShare = hotKey === undefined ? 0 : (this.spec.hotKey?.share ?? 0);
    const p = this.sampler.probabilities;
    for (let r = 0; r < this.spec.keys; r++) shares[this.rankToKey[r] as number] = (1 - hotShare) * (p[r] as number);
    if (hotKey !== undefined) shares[hotKey] = (shares[hotKey] as number) + hotShare;
    return shares;
  }

  private applyDrift(atMs: number): void {
    const drift = this.spec.drift;
    if (drift === undefined) return;
    const due = Math.floor(atMs / drift.everyMs);
    const n = this.spec.keys;
    const top = Math.min(DRIFT_TOP_RANKS, n);
    while (this.driftSteps < due) {
      this.driftSteps++;
      for (let s = 0; s < drift.swaps; s++) {
        const a = this.driftRandom.nextInt(top);
        const b = this.driftRandom.nextInt(n);
        const t = this.rankToKey[a] as number;
        this.rankToKey[a] = this.rankToKey[b] as number;
        this.rankToKey[b] = t;
      }
    }
  }
}

function validate(spec: SyntheticWorkloadSpec): void {
  if (!Number.isSafeInteger(spec.keys) || spec.keys < 1) throw new InvalidArgumentError(`workload.keys must be a positive integer, got ${spec.keys}`);
  if (!(spec.ratePerSecond >= 0 && Number.isFinite(spec.ratePerSecond))) {
    throw new InvalidArgumentError(`workload.ratePerSecond must be finite and ≥ 0, got ${spec.ratePerSecond}`);
  }
  const cost = spec.costPerRequest ?? 1;
  if (!(cost > 0 && Number.isFinite(cost))) throw new InvalidArgumentError(`workload.costPerRequest must be positive, got ${cost}`);
  const hot = spec.hotKey;
  if (hot !== undefined) {
    if (!(hot.share >= 0 && hot.share <= 1)) throw new InvalidArgumentError(`workload.hotKey.share must be in [0, 1], got ${hot.share}`);
    if (hot.moveEveryMs !== undefined && !(hot.moveEveryMs > 0)) {
      throw new InvalidArgumentError(`workload.hotKey.moveEveryMs must be positive, got ${hot.moveEveryMs}`);
    }
  }
  const d = spec.diurnal;
  if (d !== undefined && !(d.periodMs > 0 && d.amplitude >= 0 && d.amplitude <= 1)) {
    throw new InvalidArgumentError(`workload.diurnal needs periodMs > 0 and amplitude in [0, 1], got ${d.periodMs} and ${d.amplitude}`);
  }
  const drift = spec.drift;
  if (drift !== undefined && !(drift.everyMs > 0 && Number.isSafeInteger(drift.swaps) && drift.swaps >= 0)) {
    throw new InvalidArgumentError(`workload.drift needs everyMs > 0 and an integer swaps ≥ 0, got ${drift.everyMs} and ${drift.swaps}`);
  }
}
