/**
 * The Watch response (`ClientResponseP`), sent by the Assigner and by Slicelets.
 *
 * @see protocol.md §1.8, §3.4, §3.5, §3.8, §8 items 2 and 12; Dicer `ClientResponse.scala`
 */
import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import { ClientResponsePSchema, RedirectPSchema } from '../gen/dicer/common/proto/common_pb.js';
import type { ClientResponseP } from '../gen/dicer/common/proto/common_pb.js';
import { JavaUri } from './java-uri.js';
import { checkDuration, formatMillisDuration } from './protocol-duration.js';
import { requireThat } from './requirement.js';
import type { AssignmentEncoding } from './sync-assignment-state.js';
import { SyncAssignmentState } from './sync-assignment-state.js';

/** Smallest suggested watch timeout a response may carry, ms. */
export const MIN_SUGGESTED_RPC_TIMEOUT_MS = 1000;

/** Fields of {@link ClientResponse}. */
export interface ClientResponseInit {
  /** The server's latest generation, or an assignment newer than the client's. */
  readonly syncAssignmentState: SyncAssignmentState;
  /** Watch timeout the client should use next, ms (≥ 1000). */
  readonly suggestedRpcTimeoutMs: number;
  /** Where to watch next (a preferred Assigner's URI); undefined = the default address. */
  readonly redirectAddress?: string;
}

/** A validated Watch response. */
export class ClientResponse {
  /** Sync state. */
  readonly syncAssignmentState: SyncAssignmentState;
  /** Suggested watch timeout, ms. */
  readonly suggestedRpcTimeoutMs: number;
  /** Redirect address; undefined when absent or empty on the wire. */
  readonly redirectAddress: string | undefined;

  private constructor(init: ClientResponseInit) {
    this.syncAssignmentState = init.syncAssignmentState;
    this.suggestedRpcTimeoutMs = init.suggestedRpcTimeoutMs;
    this.redirectAddress = init.redirectAddress;
  }

  /**
   * Validates and builds a response.
   *
   * @throws {InvalidArgumentError} `Exceeds maximum supported duration`, a URI syntax error for the
   *   redirect, `Watch RPC timeout must be at least 1 second: <t>`.
   */
  static create(init: ClientResponseInit): ClientResponse {
    if (!Number.isSafeInteger(init.suggestedRpcTimeoutMs)) {
      throw new InvalidArgumentError(`suggestedRpcTimeoutMs must be an integer, got ${init.suggestedRpcTimeoutMs}`);
    }
    checkDuration(BigInt(init.suggestedRpcTimeoutMs), 'millis');
    return ClientResponse.validated(init.syncAssignmentState, init.suggestedRpcTimeoutMs, init.redirectAddress);
  }

  private static validated(state: SyncAssignmentState, timeoutMs: number, redirect: string | undefined): ClientResponse {
    const redirectAddress = redirect === undefined || redirect === '' ? undefined : redirect;
    if (redirectAddress !== undefined) JavaUri.parse(redirectAddress);
    requireThat(
      timeoutMs >= MIN_SUGGESTED_RPC_TIMEOUT_MS,
      () => `Watch RPC timeout must be at least 1 second: ${formatMillisDuration(BigInt(Math.trunc(timeoutMs)))}`,
    );
    return new ClientResponse({ syncAssignmentState: state, suggestedRpcTimeoutMs: timeoutMs, ...(redirectAddress === undefined ? {} : { redirectAddress }) });
  }

  /**
   * Parses a response in Dicer's order: timeout range, sync state, redirect URI, timeout ≥ 1 s.
   * An absent or empty redirect address means "no redirect".
   *
   * @throws {InvalidArgumentError} with Dicer's texts.
   */
  static fromProto(proto: ClientResponseP): ClientResponse {
    const timeoutMs = checkDuration(proto.suggestedRpcTimeoutMillis, 'millis');
    const state = SyncAssignmentState.fromProto(proto.syncAssignmentState);
    return ClientResponse.validated(state, Number(timeoutMs), proto.redirect?.address);
  }

  /**
   * The wire form. `redirect` is always present (empty when none), as Dicer's servers write it; an
   * assignment goes in field 2, or in field 3 with `encoding: 'serialized'` for clients that
   * advertised `supports_serialized_assignment`.
   */
  toProto(encoding: AssignmentEncoding = 'message'): ClientResponseP {
    const redirect = create(RedirectPSchema);
    if (this.redirectAddress !== undefined) redirect.address = this.redirectAddress;
    return create(ClientResponsePSchema, {
      syncAssignmentState: this.syncAssignmentState.toProto(encoding),
      suggestedRpcTimeoutMillis: BigInt(this.suggestedRpcTimeoutMs),
      redirect,
    });
  }

  /** Field-by-field equality. */
  equals(other: ClientResponse): boolean {
    return (
      this.syncAssignmentState.equals(other.syncAssignmentState) &&
      this.suggestedRpcTimeoutMs === other.suggestedRpcTimeoutMs &&
      this.redirectAddress === other.redirectAddress
    );
  }

  /** Debug form. */
  toString(): string {
    return `ClientResponse(${this.syncAssignmentState}, timeout=${this.suggestedRpcTimeoutMs} ms, redirect=${this.redirectAddress ?? '<none>'})`;
  }
}
