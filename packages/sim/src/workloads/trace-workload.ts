import { InvalidArgumentError } from '@dicer-ts/common';
import { KeySpace } from '../engine/key-space.js';
import type { Workload } from './workload.js';

/** One request of a trace. */
export interface TraceRequest {
  readonly timeMs: number;
  readonly key: string;
  readonly cost: number;
}

/**
 * Parses a trace file: one request per line, `timeMs,key,cost` (cost optional, default 1); blank
 * lines, `#` comments and a header line starting with `time` are skipped.
 *
 * @throws {InvalidArgumentError} naming the line for a malformed one.
 */
export function parseTrace(text: string): TraceRequest[] {
  const out: TraceRequest[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#') || (i === 0 && /^time/i.test(line))) continue;
    const parts = line.split(',');
    const timeMs = Number(parts[0]);
    const key = parts[1]?.trim();
    const cost = parts[2] === undefined || parts[2].trim() === '' ? 1 : Number(parts[2]);
    if (!Number.isFinite(timeMs) || timeMs < 0 || key === undefined || key === '' || !(cost > 0 && Number.isFinite(cost))) {
      throw new InvalidArgumentError(`trace line ${i + 1} is not timeMs,key,cost: ${line}`);
    }
    out.push({ timeMs, key, cost });
  }
  return out;
}

/** Replays a list of requests at their times; keys are placed by Dicer's key function. */
export class TraceWorkload implements Workload {
  readonly keySpace: KeySpace;
  readonly meanLoadPerSecond: number;
  private readonly times: Float64Array;
  private readonly keyIds: Int32Array;
  private readonly costs: Float64Array;
  private readonly shares: Float64Array;
  private cursor = 0;

  /** @throws {InvalidArgumentError} for an empty trace. */
  constructor(requests: readonly TraceRequest[]) {
    if (requests.length === 0) throw new InvalidArgumentError('a trace needs at least one request');
    const sorted = [...requests].sort((a, b) => a.timeMs - b.timeMs);
    const ids = new Map<string, number>();
    this.times = new Float64Array(sorted.length);
    this.keyIds = new Int32Array(sorted.length);
    this.costs = new Float64Array(sorted.length);
    let total = 0;
    sorted.forEach((r, i) => {
      let id = ids.get(r.key);
      if (id === undefined) {
        id = ids.size;
        ids.set(r.key, id);
      }
      this.times[i] = r.timeMs;
      this.keyIds[i] = id;
      this.costs[i] = r.cost;
      total += r.cost;
    });
    this.keySpace = KeySpace.fromNames([...ids.keys()]);
    this.shares = new Float64Array(ids.size);
    for (let i = 0; i < sorted.length; i++) {
      const id = this.keyIds[i] as number;
      this.shares[id] = (this.shares[id] as number) + (this.costs[i] as number) / total;
    }
    const spanSeconds = Math.max(1, ((sorted[sorted.length - 1] as TraceRequest).timeMs + 1) / 1000);
    this.meanLoadPerSecond = total / spanSeconds;
  }

  requestsIn(startMs: number, tickMs: number, emit: (keyId: number, cost: number) => void): void {
    const end = startMs + tickMs;
    while (this.cursor < this.times.length && (this.times[this.cursor] as number) < end) {
      if ((this.times[this.cursor] as number) >= startMs) emit(this.keyIds[this.cursor] as number, this.costs[this.cursor] as number);
      this.cursor++;
    }
  }

  keyShares(): Float64Array {
    return this.shares;
  }
}
