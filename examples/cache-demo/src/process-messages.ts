/**
 * The JSON-lines protocol between the demo's processes and whoever started them (the `npm start`
 * orchestrator, the e2e tests): every child writes one JSON object per line on stdout — `ready`
 * once it listens, then `stats` periodically — and the load generator reads `workload` commands
 * on stdin. Log lines (pino) go to stderr so stdout carries only these messages.
 */

/** The kinds of demo process. */
export type DemoRole = 'assigner' | 'cache-server' | 'load-generator';

/** Written once a process listens. */
export interface ReadyMessage {
  readonly kind: 'ready';
  readonly role: DemoRole;
  readonly pid: number;
  /** The gRPC port: the Assigner's Watch port or the cache server's application port. */
  readonly port?: number | undefined;
  /** The cache server's Slicelet Watch port (for Clerks). */
  readonly watchPort?: number | undefined;
  /** The Assigner's debug page port. */
  readonly debugPort?: number | undefined;
}

/** Cumulative counters of one cache server (since it started). */
export interface CacheServerStats {
  readonly kind: 'stats';
  readonly role: 'cache-server';
  readonly pid: number;
  readonly atMs: number;
  /** The application port (stable across restarts in the demo). */
  readonly port: number;
  /** Get + Put requests served. */
  readonly requests: number;
  readonly hits: number;
  readonly misses: number;
  /** Requests for keys this server did not own continuously (served anyway). */
  readonly misdirected: number;
  /** Entries in the LRU cache now. */
  readonly entries: number;
  /** Coalesced slices this Slicelet owns now. */
  readonly slices: number;
  /** The Slicelet's latest assignment generation, or '' before any. */
  readonly generation: string;
  /** 'running' | 'draining' | 'closed'. */
  readonly lifecycle: string;
  /** Entries received from previous owners (state transfer on; issue #10). */
  readonly transferredKeys?: number;
  /** Pulls that failed, timed out or were cut at the cap (state transfer on). */
  readonly transferFailures?: number;
}

/** Cumulative counters of the load generator (since it started). */
export interface LoadGeneratorStats {
  readonly kind: 'stats';
  readonly role: 'load-generator';
  readonly pid: number;
  readonly atMs: number;
  /** Logical requests started (a Get, plus a Put after a miss). */
  readonly sent: number;
  /** Requests that succeeded, possibly after a retry. */
  readonly succeeded: number;
  /** Requests that failed after every attempt. */
  readonly failed: number;
  /** Attempts that failed and were retried. */
  readonly retries: number;
  /** Requests a server answered as misdirected. */
  readonly misdirected: number;
  /** Requests with no route yet (the Clerk not ready). */
  readonly unrouted: number;
  readonly hits: number;
  readonly misses: number;
  /** Requests in flight now. */
  readonly inflight: number;
  /** Requests for the hot key. */
  readonly hotKeyRequests: number;
  /** Whether the hot key is on. */
  readonly hotKey: boolean;
  /** The target request rate (requests per second). */
  readonly rate: number;
  /** The Clerk's latest assignment generation, or '' before any. */
  readonly generation: string;
}

/** Any message a demo process writes on stdout. */
export type ProcessMessage = ReadyMessage | CacheServerStats | LoadGeneratorStats;

/** A command the load generator reads on stdin; fields left out stay as they are. */
export interface WorkloadCommand {
  readonly kind: 'workload';
  /** Turns the hot key on or off. */
  readonly hotKey?: boolean;
  /** Requests per second. */
  readonly rate?: number;
}

/** Parses one stdout line; undefined for anything that is not a demo message (stray output). */
export function parseProcessMessage(line: string): ProcessMessage | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(line) as { kind?: unknown };
    return value.kind === 'ready' || value.kind === 'stats' ? (value as ProcessMessage) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses one stdin line of the load generator; undefined for anything else. */
export function parseWorkloadCommand(line: string): WorkloadCommand | undefined {
  try {
    const value = JSON.parse(line) as Partial<WorkloadCommand>;
    if (value.kind !== 'workload') return undefined;
    if (value.hotKey !== undefined && typeof value.hotKey !== 'boolean') return undefined;
    if (value.rate !== undefined && !(typeof value.rate === 'number' && value.rate >= 0 && Number.isFinite(value.rate))) return undefined;
    return value as WorkloadCommand;
  } catch {
    return undefined;
  }
}

/** Writes one message as a line on stdout. */
export function writeProcessMessage(message: ProcessMessage): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}
