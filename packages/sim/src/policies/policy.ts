import type { Random } from '@dicer-ts/common';
import type { EventQueue } from '../engine/event-queue.js';
import type { KeySpace } from '../engine/key-space.js';
import type { RoutingTable } from '../engine/routing-table.js';
import type { SimPod } from '../engine/sim-pod.js';

/** What a policy's published decision carries besides the table, for the metrics. */
export interface PublishInfo {
  /** Why the table changed (`membership`, or Dicer's generation reason). */
  readonly reason: string;
  /** Wall-clock time the decision took (ms), for the algorithm-time metric. */
  readonly computeMs?: number;
}

/** What the simulator offers a policy. */
export interface PolicyHost {
  /** The event queue; its `nowMs` is the virtual time. */
  readonly queue: EventQueue;
  readonly keySpace: KeySpace;
  /** How long a pod's crash goes unnoticed by health checking (Dicer: the 30 s heartbeat expiry). */
  readonly unhealthyTimeoutMs: number;
  /** Slicelet heartbeat interval (each heartbeat carries the load report). */
  readonly heartbeatIntervalMs: number;
  /** How long an assignment takes to reach the Slicelets after it is published. */
  readonly sliceletDelayMs: number;
  /** The pod instances not yet `down`, in instance order. */
  livePods(): readonly SimPod[];
  /** Publishes a new decision: the authoritative table now, the Clerks' table after the propagation delay. */
  publish(table: RoutingTable, info: PublishInfo): void;
}

/**
 * A sharding policy under simulation. The simulator tells it about pod lifecycle changes and
 * served requests; the policy publishes routing tables whenever its decision changes.
 */
export interface Policy {
  /** The name shown in reports (unique within a run). */
  readonly name: string;
  /** The kind of policy (`dicer`, `consistent-hash`, `bounded-load`, `static`). */
  readonly kind: string;
  /** Called once at time 0, before any pod starts. */
  attach(host: PolicyHost): void;
  /** A pod instance became ready to serve. */
  onPodRunning(pod: SimPod): void;
  /** A pod instance began a graceful shutdown (it still serves while it drains). */
  onPodTerminating(pod: SimPod): void;
  /** A pod instance is gone; `crashed` when it died without warning. */
  onPodDown(pod: SimPod, crashed: boolean): void;
  /** A request for `keyId` put `load` on `pod` (Dicer feeds its Slicelet load accumulator). */
  onServed?(pod: SimPod, keyId: number, load: number): void;
  /** The requests of the tick that started at `tickStartMs` have all been served. */
  onTickEnd?(tickStartMs: number): void;
  /**
   * Picks the instance a Clerk sends a request to, when the policy routes by more than the table
   * (bounded loads); otherwise a replica of the key's group is picked uniformly.
   */
  route?(table: RoutingTable, keyId: number, cost: number, random: Random): RouteChoice;
}

/** The choice of {@link Policy.route}. */
export interface RouteChoice {
  readonly instance: number;
  /** True when the policy deliberately sent the request past the key's owner (not a misroute). */
  readonly overflowed: boolean;
}
