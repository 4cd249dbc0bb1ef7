import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from '@dicer-ts/common';
import type { KeySpace } from '../engine/key-space.js';
import { SyntheticWorkload } from './synthetic-workload.js';
import { TraceWorkload, parseTrace, type TraceRequest } from './trace-workload.js';
import type { Workload, WorkloadSpec } from './workload.js';

/**
 * Makes workloads for a spec: one fresh {@link Workload} per policy run (same seed, same request
 * stream), sharing the key space (placing keys is the costly part).
 */
export class WorkloadFactory {
  private keySpace: KeySpace | undefined;
  private trace: TraceRequest[] | undefined;

  /** @param baseDir where a trace file named relatively is looked up. */
  constructor(
    readonly spec: WorkloadSpec,
    readonly seed: number,
    readonly baseDir: string = process.cwd(),
  ) {}

  /**
   * A fresh workload.
   *
   * @throws {InvalidArgumentError} for a trace spec with neither `file` nor `requests`, or a bad trace.
   */
  create(): Workload {
    const spec = this.spec;
    if (spec.kind === 'synthetic') {
      const w = new SyntheticWorkload(spec, this.seed, this.keySpace);
      this.keySpace = w.keySpace;
      return w;
    }
    if (this.trace === undefined) {
      if (spec.file !== undefined) this.trace = parseTrace(readFileSync(resolve(this.baseDir, spec.file), 'utf8'));
      else if (spec.requests !== undefined) this.trace = spec.requests.map((r) => ({ timeMs: r.timeMs, key: r.key, cost: r.cost ?? 1 }));
      else throw new InvalidArgumentError('a trace workload needs file or requests');
    }
    return new TraceWorkload(this.trace);
  }
}
