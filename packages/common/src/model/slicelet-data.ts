/**
 * The Slicelet half of a Watch request: the heartbeat payload (`slicelet_fields`), with the
 * Slicelet's state, SQUID, loads and namespace.
 *
 * @see protocol.md §1.7 (`ClientRequestP.SliceletDataP`), §3.6; Dicer `ClientRequest.scala` (`SliceletData`)
 */
import { create } from '@bufbuild/protobuf';
import { ClientRequestP_SliceletDataP_State, ClientRequestP_SliceletDataPSchema, SquidPSchema } from '../gen/dicer/common/proto/common_pb.js';
import type { ClientRequestP_SliceletDataP } from '../gen/dicer/common/proto/common_pb.js';
import { SliceLoad } from './slice-load.js';
import { Squid } from './squid.js';

/** Slicelet lifecycle state as reported: `not-ready` (first heartbeat) → `running` → `terminating`. */
export type SliceletState = 'unknown' | 'not-ready' | 'running' | 'terminating';

const STATE_TO_PROTO: Readonly<Record<SliceletState, ClientRequestP_SliceletDataP_State>> = {
  unknown: ClientRequestP_SliceletDataP_State.UNKNOWN,
  'not-ready': ClientRequestP_SliceletDataP_State.NOT_READY,
  running: ClientRequestP_SliceletDataP_State.RUNNING,
  terminating: ClientRequestP_SliceletDataP_State.TERMINATING,
};

function stateFromProto(state: ClientRequestP_SliceletDataP_State): SliceletState {
  switch (state) {
    case ClientRequestP_SliceletDataP_State.NOT_READY:
      return 'not-ready';
    case ClientRequestP_SliceletDataP_State.RUNNING:
      return 'running';
    case ClientRequestP_SliceletDataP_State.TERMINATING:
      return 'terminating';
    default:
      return 'unknown';
  }
}

/** Fields of {@link SliceletData}. */
export interface SliceletDataInit {
  /** Reported state. */
  readonly state: SliceletState;
  /** This Slicelet incarnation; its address is the application endpoint. */
  readonly squid: Squid;
  /** One load per assigned slice, in key order. @default [] */
  readonly attributedLoads?: readonly SliceLoad[];
  /** Load of keys this Slicelet served but does not own (slice = full range). */
  readonly unattributedLoad?: SliceLoad;
  /** The pod's Kubernetes namespace. */
  readonly kubernetesNamespace: string;
}

/** The heartbeat payload of a Slicelet's Watch request. */
export class SliceletData {
  /** Reported state. */
  readonly state: SliceletState;
  /** The Slicelet incarnation. */
  readonly squid: Squid;
  /** Loads of the assigned slices. */
  readonly attributedLoads: readonly SliceLoad[];
  /** Load of unassigned keys, when reported. */
  readonly unattributedLoad: SliceLoad | undefined;
  /** Kubernetes namespace. */
  readonly kubernetesNamespace: string;

  private constructor(init: SliceletDataInit) {
    this.state = init.state;
    this.squid = init.squid;
    this.attributedLoads = Object.freeze([...(init.attributedLoads ?? [])]);
    this.unattributedLoad = init.unattributedLoad;
    this.kubernetesNamespace = init.kubernetesNamespace;
  }

  /** Builds the payload (its parts are already validated by their own factories). */
  static create(init: SliceletDataInit): SliceletData {
    return new SliceletData(init);
  }

  /**
   * Reads `slicelet_fields`: the SQUID first (its address must parse), then the loads. The
   * deprecated `nonce`/`uri` and the lease fields (8–12), unused in OSS Dicer, are ignored.
   *
   * @throws {InvalidArgumentError} with Dicer's texts (`URI must not be empty`, load errors).
   */
  static fromProto(proto: ClientRequestP_SliceletDataP): SliceletData {
    // An absent SQUID reads as the default message, whose empty address fails like Dicer's.
    const squid = Squid.fromProto(proto.squid ?? create(SquidPSchema));
    const attributedLoads = proto.attributedLoads.map((l) => SliceLoad.fromProto(l));
    const unattributedLoad = proto.unattributedLoad === undefined ? undefined : SliceLoad.fromProto(proto.unattributedLoad);
    return new SliceletData({
      state: stateFromProto(proto.state),
      squid,
      attributedLoads,
      ...(unattributedLoad === undefined ? {} : { unattributedLoad }),
      kubernetesNamespace: proto.kubernetesNamespace,
    });
  }

  /** Wire form: state, squid, attributed loads, unattributed load (when set) and namespace; nothing else. */
  toProto(): ClientRequestP_SliceletDataP {
    const p = create(ClientRequestP_SliceletDataPSchema, {
      state: STATE_TO_PROTO[this.state],
      squid: this.squid.toProto(),
      attributedLoads: this.attributedLoads.map((l) => l.toProto()),
      kubernetesNamespace: this.kubernetesNamespace,
    });
    if (this.unattributedLoad !== undefined) p.unattributedLoad = this.unattributedLoad.toProto();
    return p;
  }

  /** Field-by-field equality. */
  equals(other: SliceletData): boolean {
    return (
      this.state === other.state &&
      this.squid.equals(other.squid) &&
      this.kubernetesNamespace === other.kubernetesNamespace &&
      this.attributedLoads.length === other.attributedLoads.length &&
      this.attributedLoads.every((l, i) => l.equals(other.attributedLoads[i]!)) &&
      (this.unattributedLoad === undefined
        ? other.unattributedLoad === undefined
        : other.unattributedLoad !== undefined && this.unattributedLoad.equals(other.unattributedLoad))
    );
  }

  /** Debug form. */
  toString(): string {
    return `SliceletData(${this.state}, ${this.squid}, ${this.attributedLoads.length} attributed loads, namespace=${this.kubernetesNamespace})`;
  }
}
