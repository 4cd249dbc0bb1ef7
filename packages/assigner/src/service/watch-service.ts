/**
 * The Assigner's `/dicer.AssignmentService/Watch` handler (Dicer's `Assigner.handleWatch`,
 * store-ha.md §1.2, preferred-assigner mode disabled: the Assigner serves every target itself and
 * answers with an empty redirect).
 *
 * Per call: decode the bytes (the request is deserialized here, not by grpc-js, so that garbage
 * gets a clear INVALID_ARGUMENT instead of grpc-js's generic INTERNAL) → parse and validate with
 * `ClientRequest.fromProto` (Dicer's order and texts, the target normalized against the Assigner's
 * cluster) → look up the config by target name → get or create the target's generator and hub →
 * feed the request to the generator (heartbeat, load, assignment sync) → park the call in the hub,
 * which answers at once when the caller is behind, otherwise at a newer generation or the
 * processing timeout.
 *
 * Errors: every failure goes through one `toStatus(err)` at the end of the handler. Validation
 * failures are INVALID_ARGUMENT with the validation message (Dicer answers INTERNAL with the same
 * text; see docs/compatibility.md); an unknown target is NOT_FOUND `Unknown target: <target>`
 * (Dicer: INTERNAL); anything unexpected is INTERNAL with a generic message and a log line. Nothing
 * a peer sends can throw out of the handler, so no request crashes or wedges the server.
 *
 * @see protocol.md §3.4, §3.8, §8 item 12, store-ha.md §1.2
 */
import type { handleUnaryCall, sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';
import {
  ClientRequest,
  InvalidArgumentError,
  type Logger,
  NotFoundError,
  WATCH_METHOD,
  type WatchReply,
  componentLogger,
  isDicerError,
  proto,
  toStatus,
} from '@dicer-ts/common';
import type { AssignerMetrics } from '../debug/metrics.js';
import { targetLabels } from '../debug/metrics.js';
import type { TargetConfigProvider } from './target-config-provider.js';
import type { TargetRegistry } from './target-registry.js';
import { standbyWatchReply } from './preferred-assigner-driver.js';

/** What the Watch handler needs. */
export interface WatchServiceOptions {
  readonly configs: TargetConfigProvider;
  readonly targets: TargetRegistry;
  readonly metrics: AssignerMetrics;
  readonly logger: Logger;
  /** The Assigner's own cluster URI: requests for a Kubernetes target in it drop the cluster. */
  readonly clusterUri?: string | undefined;
  /**
   * Preferred-assigner mode (issue #5): the current role. A standby answers every parsed request at
   * once with `KnownGeneration(EMPTY)` and a redirect to the preferred Assigner (store-ha §1.2).
   */
  readonly standby?: (() => { readonly redirectUri: string | undefined; readonly suggestedRpcTimeoutMs: (kind: 'slicelet' | 'clerk') => number } | undefined) | undefined;
}

/**
 * The longest chosen timeout a call is parked for (24 h); longer ones are treated as 24 h. Dicer
 * accepts any positive duration up to ~292 years, but no client waits that long.
 */
export const MAX_PARK_TIMEOUT_MS = 86_400_000;

/** Handlers of `dicer.AssignmentService` taking the raw request bytes. */
export interface RawAssignmentServiceImplementation extends UntypedServiceImplementation {
  /** The Watch long poll. */
  watch: handleUnaryCall<Buffer, WatchReply>;
}

/**
 * `dicer.AssignmentService` with the request left as bytes: the handler decodes it, so a request
 * that is not a `ClientRequestP` is answered INVALID_ARGUMENT like any other bad request.
 */
export const RAW_ASSIGNMENT_SERVICE_DEFINITION: ServiceDefinition<RawAssignmentServiceImplementation> = {
  watch: {
    path: WATCH_METHOD.path,
    originalName: WATCH_METHOD.originalName,
    requestStream: false,
    responseStream: false,
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: WATCH_METHOD.responseSerialize,
    responseDeserialize: WATCH_METHOD.responseDeserialize,
  },
};

/** Why a watch failed, for `dicer_assigner_num_watch_errors_total{reason}`. */
type WatchErrorReason = 'INVALID_REQUEST' | 'NO_CONFIG' | 'INVALID_LOAD' | 'UNAVAILABLE' | 'INTERNAL';

class WatchFailure extends Error {
  constructor(
    readonly reason: WatchErrorReason,
    readonly err: unknown,
  ) {
    super('watch failure');
  }
}

/** Decodes and validates a request; every failure is an {@link InvalidArgumentError}. */
function parseRequest(bytes: Buffer, clusterUri: string | undefined): ClientRequest {
  let message: proto.ClientRequestP;
  try {
    message = proto.fromBinary(proto.ClientRequestPSchema, bytes);
  } catch (err) {
    throw new InvalidArgumentError(`Watch request is not a valid ClientRequestP: ${(err as Error).message}`);
  }
  try {
    return ClientRequest.fromProto(message, clusterUri === undefined ? {} : { assignerClusterUri: clusterUri });
  } catch (err) {
    if (isDicerError(err)) throw err;
    // A parse failure that escaped as a plain error is still the peer's bad request.
    throw new InvalidArgumentError(`Invalid ClientRequestP: ${(err as Error).message}`);
  }
}

/**
 * The Watch handler for `server.addService(RAW_ASSIGNMENT_SERVICE_DEFINITION, …)`.
 *
 * @example
 * ```ts
 * server.addService(RAW_ASSIGNMENT_SERVICE_DEFINITION, createWatchService({ configs, targets, metrics, logger }));
 * ```
 */
export function createWatchService(options: WatchServiceOptions): RawAssignmentServiceImplementation {
  const log = componentLogger(options.logger, 'watch-service');
  const { metrics } = options;
  const watch = (call: ServerUnaryCall<Buffer, WatchReply>, callback: sendUnaryData<WatchReply>): void => {
    try {
      let request: ClientRequest;
      try {
        request = parseRequest(call.request, options.clusterUri);
      } catch (err) {
        throw new WatchFailure('INVALID_REQUEST', err);
      }
      metrics.watchRequests.inc({ ...targetLabels(request.target), subscriberType: request.subscriber.kind });
      const standby = options.standby?.();
      if (standby !== undefined) {
        callback(null, standbyWatchReply(standby.redirectUri, standby.suggestedRpcTimeoutMs(request.subscriber.kind)));
        return;
      }
      const config = options.configs.get(request.target.name);
      if (config === undefined) throw new WatchFailure('NO_CONFIG', new NotFoundError(`Unknown target: ${request.target}`));
      const entry = options.targets.getOrCreate(request.target, config);
      try {
        entry.generator.onWatchRequest(request);
      } catch (err) {
        throw new WatchFailure(isDicerError(err) && err.code === Status.INVALID_ARGUMENT ? 'INVALID_LOAD' : 'INTERNAL', err);
      }
      // Parked calls are timed with the clock's timers; a chosen timeout beyond what a timer can
      // hold (Node caps setTimeout at 2^31 − 1 ms and fires at once above it) would make the
      // hub's timer spin. Nobody waits a day for a long poll: park at most MAX_PARK_TIMEOUT_MS.
      const parkable =
        request.timeoutMs <= MAX_PARK_TIMEOUT_MS
          ? request
          : {
              syncAssignmentState: request.syncAssignmentState,
              timeoutMs: MAX_PARK_TIMEOUT_MS,
              supportsSerializedAssignment: request.supportsSerializedAssignment,
              subscriber: { kind: request.subscriber.kind },
            };
      entry.hub.handleWatch(call as unknown as Parameters<typeof entry.hub.handleWatch>[0], callback, parkable);
    } catch (failure) {
      const reason = failure instanceof WatchFailure ? failure.reason : 'INTERNAL';
      const err = failure instanceof WatchFailure ? failure.err : failure;
      const status = toStatus(err);
      metrics.watchErrors.inc({ reason: status.code === Status.INTERNAL ? 'INTERNAL' : reason });
      if (status.code === Status.INTERNAL) log.error({ err }, 'watch handler failed');
      else log.debug({ err: (err as Error).message, reason }, 'watch rejected');
      callback({ code: status.code, details: status.details });
    }
  };
  return { watch };
}
