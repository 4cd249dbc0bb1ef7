import type { RoutingTable } from '../engine/routing-table.js';
import type { SimPod } from '../engine/sim-pod.js';
import type { Policy, PolicyHost } from './policy.js';

/**
 * The shared lifecycle of the baseline policies, which decide from membership alone: a pod joins
 * when it runs, leaves at once when it starts a graceful shutdown (as a readiness probe or a
 * termination signal would tell a load balancer), and leaves `unhealthyTimeoutMs` after a crash
 * (as a missed health check would). Changes within one instant are published once.
 */
export abstract class MembershipPolicy implements Policy {
  abstract readonly name: string;
  abstract readonly kind: string;
  protected host!: PolicyHost;
  private readonly members = new Map<number, SimPod>();
  private pendingReason: string | undefined;

  attach(host: PolicyHost): void {
    this.host = host;
  }

  onPodRunning(pod: SimPod): void {
    this.members.set(pod.instance, pod);
    this.changed('pod-running');
  }

  onPodTerminating(pod: SimPod): void {
    if (this.members.delete(pod.instance)) this.changed('pod-terminating');
  }

  onPodDown(pod: SimPod, crashed: boolean): void {
    if (!crashed) {
      if (this.members.delete(pod.instance)) this.changed('pod-down');
      return;
    }
    this.host.queue.scheduleIn(this.host.unhealthyTimeoutMs, () => {
      if (this.members.delete(pod.instance)) this.changed('pod-crashed');
    });
  }

  /** The table for the current members (sorted by slot, then instance); never called with none. */
  protected abstract buildTable(members: readonly SimPod[]): RoutingTable;

  private changed(reason: string): void {
    if (this.pendingReason !== undefined) return;
    this.pendingReason = reason;
    this.host.queue.scheduleIn(0, () => {
      const why = this.pendingReason as string;
      this.pendingReason = undefined;
      const members = [...this.members.values()].sort((a, b) => a.slot - b.slot || a.instance - b.instance);
      if (members.length === 0) return;
      const started = performance.now();
      const table = this.buildTable(members);
      this.host.publish(table, { reason: why, computeMs: performance.now() - started });
    });
  }
}
