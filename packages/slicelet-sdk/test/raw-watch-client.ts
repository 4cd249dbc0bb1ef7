/** A raw Watch client for watch-server tests: hand-built `ClientRequestP`s over real gRPC, as a Clerk sends them. */
import { Client, type ServiceError, credentials } from '@grpc/grpc-js';
import { Generation, WATCH_METHOD_PATH, proto } from '@dicer-ts/common';

/** The outcome of one call. */
export type CallResult = { readonly ok: true; readonly response: proto.ClientResponseP } | { readonly ok: false; readonly error: ServiceError };

/** Sends raw requests to `/dicer.AssignmentService/Watch`. */
export class RawWatchClient {
  private readonly client: Client;

  constructor(address: string) {
    this.client = new Client(address, credentials.createInsecure());
  }

  call(request: proto.ClientRequestP): Promise<CallResult> {
    return new Promise((resolve) => {
      this.client.makeUnaryRequest(
        WATCH_METHOD_PATH,
        (r: proto.ClientRequestP) => Buffer.from(proto.toBinary(proto.ClientRequestPSchema, r)),
        (b: Buffer) => proto.fromBinary(proto.ClientResponsePSchema, b),
        request,
        { deadline: Date.now() + 20_000 },
        (error, response) => resolve(error ? { ok: false, error } : { ok: true, response: response as proto.ClientResponseP }),
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/** A Clerk's request as Dicer builds it (protocol.md §3.2): clerk_fields, feature bit set. */
export function clerkRequest(
  target: string,
  options: { readonly known?: Generation; readonly knownAssignment?: proto.DiffAssignmentP; readonly timeoutMs?: bigint; readonly serialized?: boolean } = {},
): proto.ClientRequestP {
  return proto.create(proto.ClientRequestPSchema, {
    target: { name: target },
    syncAssignmentState:
      options.knownAssignment === undefined
        ? { state: { case: 'knownGeneration', value: (options.known ?? Generation.EMPTY).toProto() } }
        : { state: { case: 'knownAssignment', value: options.knownAssignment } },
    subscriberDebugName: `C0-${target}-host`,
    chosenRpcTimeoutMillis: options.timeoutMs ?? 5000n,
    version: 1_761_600_610n,
    clientFeatureSupport: { supportsSerializedAssignment: options.serialized ?? true },
    SubscriberDataP: { case: 'clerkFields', value: {} },
  });
}
