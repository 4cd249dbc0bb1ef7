/**
 * A raw Watch client for protocol tests: hand-built `ClientRequestP`s over real gRPC, no SDK.
 */
import { Client, type ChannelCredentials, credentials, type ServiceError } from '@grpc/grpc-js';
import {
  Generation,
  ManualClock,
  type Squid,
  proto,
} from '@dicer-ts/common';

export const WATCH_PATH = '/dicer.AssignmentService/Watch';

/** The outcome of one call. */
export type CallResult = { ok: true; response: proto.ClientResponseP } | { ok: false; error: ServiceError };

/** A gRPC client sending raw bytes to the Watch method. */
export class RawWatchClient {
  readonly client: Client;

  constructor(address: string, creds: ChannelCredentials = credentials.createInsecure(), options: Record<string, unknown> = {}) {
    this.client = new Client(address, creds, options);
  }

  /** Sends raw bytes. */
  callBytes(bytes: Uint8Array): Promise<CallResult> {
    return this.startCall(bytes).result;
  }

  /** Sends raw bytes; the call can be cancelled. */
  startCall(bytes: Uint8Array): { result: Promise<CallResult>; cancel: () => void } {
    let cancel: () => void = () => undefined;
    const result = new Promise<CallResult>((resolve) => {
      const call = this.client.makeUnaryRequest(
        WATCH_PATH,
        (b: Uint8Array) => Buffer.from(b),
        (b: Buffer) => proto.fromBinary(proto.ClientResponsePSchema, b),
        bytes,
        { deadline: Date.now() + 20_000 },
        (error, response) => resolve(error ? { ok: false, error } : { ok: true, response: response as proto.ClientResponseP }),
      );
      cancel = () => call.cancel();
    });
    return { result, cancel };
  }

  /** Sends a request message. */
  call(request: proto.ClientRequestP): Promise<CallResult> {
    return this.callBytes(proto.toBinary(proto.ClientRequestPSchema, request));
  }

  close(): void {
    this.client.close();
  }
}

/** A request as a Dicer Slicelet builds it (protocol.md §3.2, §3.6). */
export function sliceletRequest(
  target: string,
  squid: Squid,
  options: { known?: Generation; state?: proto.ClientRequestP_SliceletDataP_State; timeoutMs?: bigint } = {},
): proto.ClientRequestP {
  return proto.create(proto.ClientRequestPSchema, {
    target: { name: target },
    syncAssignmentState: { state: { case: 'knownGeneration', value: (options.known ?? Generation.EMPTY).toProto() } },
    subscriberDebugName: `S0-${target}-pod`,
    chosenRpcTimeoutMillis: options.timeoutMs ?? 5000n,
    SubscriberDataP: {
      case: 'sliceletFields',
      value: {
        state: options.state ?? proto.ClientRequestP_SliceletDataP_State.RUNNING,
        squid: squid.toProto(),
        unattributedLoad: { primaryRateLoad: 0, windowLowInclusiveSeconds: 0n, windowHighExclusiveSeconds: 0n, numReplicas: 1 },
        kubernetesNamespace: 'demo',
      },
    },
    version: 1761600610n,
    clientFeatureSupport: { supportsSerializedAssignment: true },
  });
}

/** A request as a Dicer Clerk builds it. */
export function clerkRequest(
  target: string,
  options: { known?: Generation; serialized?: boolean; timeoutMs?: bigint } = {},
): proto.ClientRequestP {
  return proto.create(proto.ClientRequestPSchema, {
    target: { name: target },
    syncAssignmentState: { state: { case: 'knownGeneration', value: (options.known ?? Generation.EMPTY).toProto() } },
    subscriberDebugName: `C0-${target}-host`,
    chosenRpcTimeoutMillis: options.timeoutMs ?? 5000n,
    SubscriberDataP: { case: 'clerkFields', value: {} },
    version: 1761600610n,
    clientFeatureSupport: { supportsSerializedAssignment: options.serialized ?? true },
  });
}

/** The generation a response reports (known generation or the carried assignment's). */
export function responseGeneration(response: proto.ClientResponseP): Generation {
  const state = response.syncAssignmentState?.state;
  switch (state?.case) {
    case 'knownGeneration':
      return Generation.fromProto(state.value);
    case 'knownAssignment':
      return Generation.fromProto(state.value.generation);
    case 'knownSerializedAssignment':
      return Generation.fromProto(proto.fromBinary(proto.DiffAssignmentPSchema, state.value).generation);
    default:
      throw new Error('response without sync state');
  }
}

/** The DiffAssignmentP a response carries, if any. */
export function responseDiff(response: proto.ClientResponseP): proto.DiffAssignmentP | undefined {
  const state = response.syncAssignmentState?.state;
  if (state?.case === 'knownAssignment') return state.value;
  if (state?.case === 'knownSerializedAssignment') return proto.fromBinary(proto.DiffAssignmentPSchema, state.value);
  return undefined;
}

export { ManualClock };
