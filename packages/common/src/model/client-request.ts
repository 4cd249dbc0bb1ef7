/**
 * The Watch request (`ClientRequestP`), sent by Clerks and Slicelets alike; a Slicelet's request is
 * also its heartbeat.
 *
 * @see protocol.md §1.7, §3.2, §3.8, §8 items 2 and 12; Dicer `ClientRequest.scala`
 */
import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import {
  ClientRequestP_ClerkDataPSchema,
  ClientRequestP_ClientFeatureSupportPSchema,
  ClientRequestPSchema,
} from '../gen/dicer/common/proto/common_pb.js';
import type { ClientRequestP } from '../gen/dicer/common/proto/common_pb.js';
import { checkDuration, formatMillisDuration } from './protocol-duration.js';
import { requireThat } from './requirement.js';
import { SliceletData } from './slicelet-data.js';
import { SyncAssignmentState } from './sync-assignment-state.js';
import { Target } from './target.js';

/** The client code version Dicer's clients send (`version`, field 9). */
export const DICER_CLIENT_VERSION = 1_761_600_610n;

/** Who is watching: a Clerk (no payload) or a Slicelet (heartbeat payload). */
export type Subscriber = { readonly kind: 'clerk' } | { readonly kind: 'slicelet'; readonly data: SliceletData };

/** Fields of {@link ClientRequest}. */
export interface ClientRequestInit {
  /** The watched target. */
  readonly target: Target;
  /** What the client knows (a generation) or an assignment it offers. */
  readonly syncAssignmentState: SyncAssignmentState;
  /** Debug name, e.g. `S3-softstore-pod-1` or `C1-softstore-host`; must be non-empty. */
  readonly subscriberDebugName: string;
  /** The client's current watch timeout, ms; must be positive. */
  readonly timeoutMs: number;
  /** Clerk or Slicelet. */
  readonly subscriber: Subscriber;
  /** Client code version. @default DICER_CLIENT_VERSION */
  readonly version?: bigint;
  /** Whether the client accepts `known_serialized_assignment`. @default true */
  readonly supportsSerializedAssignment?: boolean;
}

/** Options of {@link ClientRequest.fromProto}. */
export interface ClientRequestParseOptions {
  /**
   * The cluster URI of the parsing Assigner: a Kubernetes target carrying exactly this cluster has
   * it dropped (Dicer's assigner-side unmarshaller). Leave unset on clients and Slicelets.
   */
  readonly assignerClusterUri?: string;
}

/** A validated Watch request. */
export class ClientRequest {
  /** The watched target. */
  readonly target: Target;
  /** Sync state. */
  readonly syncAssignmentState: SyncAssignmentState;
  /** Debug name. */
  readonly subscriberDebugName: string;
  /** Chosen watch timeout, ms (> 0). */
  readonly timeoutMs: number;
  /** Clerk or Slicelet (with its heartbeat). */
  readonly subscriber: Subscriber;
  /** Client code version (0 = unknown). */
  readonly version: bigint;
  /** Whether the client accepts serialized assignments. */
  readonly supportsSerializedAssignment: boolean;

  private constructor(init: Required<ClientRequestInit>) {
    this.target = init.target;
    this.syncAssignmentState = init.syncAssignmentState;
    this.subscriberDebugName = init.subscriberDebugName;
    this.timeoutMs = init.timeoutMs;
    this.subscriber = init.subscriber;
    this.version = init.version;
    this.supportsSerializedAssignment = init.supportsSerializedAssignment;
  }

  /**
   * Validates and builds a request.
   *
   * @throws {InvalidArgumentError} `Exceeds maximum supported duration`, `Positive timeout value
   *   needed: <t>`, `Subscriber debug name must not be empty.`
   */
  static create(init: ClientRequestInit): ClientRequest {
    if (!Number.isSafeInteger(init.timeoutMs)) throw new InvalidArgumentError(`timeoutMs must be an integer, got ${init.timeoutMs}`);
    checkDuration(BigInt(init.timeoutMs), 'millis');
    return ClientRequest.validated({
      ...init,
      version: init.version ?? DICER_CLIENT_VERSION,
      supportsSerializedAssignment: init.supportsSerializedAssignment ?? true,
    });
  }

  private static validated(init: Required<ClientRequestInit>): ClientRequest {
    requireThat(init.timeoutMs > 0, () => `Positive timeout value needed: ${formatMillisDuration(BigInt(init.timeoutMs))}`);
    requireThat(init.subscriberDebugName.length > 0, () => 'Subscriber debug name must not be empty.');
    return new ClientRequest(init);
  }

  /**
   * Parses a request in Dicer's order (it decides which message a multiply-broken request gives):
   * subscriber oneof (Slicelet data, SQUID then loads, parsed here), target, timeout range, feature
   * bits, sync state, timeout > 0, debug name. Absent `version` reads as 0, absent feature bit as false.
   *
   * @throws {InvalidArgumentError} with Dicer's texts.
   */
  static fromProto(proto: ClientRequestP, options: ClientRequestParseOptions = {}): ClientRequest {
    let subscriber: Subscriber;
    switch (proto.SubscriberDataP.case) {
      case 'clerkFields':
        subscriber = { kind: 'clerk' };
        break;
      case 'sliceletFields':
        subscriber = { kind: 'slicelet', data: SliceletData.fromProto(proto.SubscriberDataP.value) };
        break;
      default:
        // Thrown directly in Dicer, without the `requirement failed: ` prefix.
        throw new InvalidArgumentError(`One of ClerkDataP or SliceletDataP must be defined: ${describeRequest(proto)}`);
    }
    if (proto.target === undefined) throw new InvalidArgumentError('Target must be defined in ClientRequestP');
    let target = Target.fromProto(proto.target);
    if (target.kind === 'kubernetes' && options.assignerClusterUri !== undefined && target.clusterUri === options.assignerClusterUri) {
      target = target.withoutCluster();
    }
    const timeoutMs = checkDuration(proto.chosenRpcTimeoutMillis, 'millis');
    const supportsSerializedAssignment = proto.clientFeatureSupport?.supportsSerializedAssignment ?? false;
    const syncAssignmentState = SyncAssignmentState.fromProto(proto.syncAssignmentState);
    return ClientRequest.validated({
      target,
      syncAssignmentState,
      subscriberDebugName: proto.subscriberDebugName,
      timeoutMs: Number(timeoutMs),
      subscriber,
      version: proto.version,
      supportsSerializedAssignment,
    });
  }

  /**
   * The wire form; `version` and `client_feature_support` are always written. An assignment in the
   * sync state goes in `known_assignment` (requests never use the serialized form).
   */
  toProto(): ClientRequestP {
    return create(ClientRequestPSchema, {
      target: this.target.toProto(),
      syncAssignmentState: this.syncAssignmentState.toProto('message'),
      subscriberDebugName: this.subscriberDebugName,
      chosenRpcTimeoutMillis: BigInt(this.timeoutMs),
      SubscriberDataP:
        this.subscriber.kind === 'clerk'
          ? { case: 'clerkFields', value: create(ClientRequestP_ClerkDataPSchema) }
          : { case: 'sliceletFields', value: this.subscriber.data.toProto() },
      version: this.version,
      clientFeatureSupport: create(ClientRequestP_ClientFeatureSupportPSchema, {
        supportsSerializedAssignment: this.supportsSerializedAssignment,
      }),
    });
  }

  /** Field-by-field equality. */
  equals(other: ClientRequest): boolean {
    const sameSubscriber =
      this.subscriber.kind === 'clerk'
        ? other.subscriber.kind === 'clerk'
        : other.subscriber.kind === 'slicelet' && this.subscriber.data.equals(other.subscriber.data);
    return (
      sameSubscriber &&
      this.target.equals(other.target) &&
      this.syncAssignmentState.equals(other.syncAssignmentState) &&
      this.subscriberDebugName === other.subscriberDebugName &&
      this.timeoutMs === other.timeoutMs &&
      this.version === other.version &&
      this.supportsSerializedAssignment === other.supportsSerializedAssignment
    );
  }

  /** Debug form. */
  toString(): string {
    return `ClientRequest(${this.target}, ${this.subscriberDebugName}, ${this.subscriber.kind}, ${this.syncAssignmentState}, timeout=${this.timeoutMs} ms)`;
  }
}

/** A short description of a request for error messages (never the whole assignment). */
function describeRequest(proto: ClientRequestP): string {
  return `target=${proto.target?.name ?? '<none>'}, subscriber_debug_name=${proto.subscriberDebugName}`;
}
