/**
 * The Slicelet's own `/dicer.AssignmentService/Watch` server (default port 24510): Clerks watch
 * their Slicelets rather than the Assigner, and are answered from the Slicelet's cached assignment
 * through a {@link SubscriberHub} (long poll, full assignment, encoded once per generation).
 *
 * Per request: parse (a bad request ⇒ INVALID_ARGUMENT with the validation text; Dicer's grpc-java
 * answers UNKNOWN there); a fatal target mismatch ⇒ NOT_FOUND with Dicer's text (or, with
 * `rejectOnFatalTargetMismatch = false`, logged and served); otherwise the request's sync state is
 * handed to `onSyncState` (rule 6: a Clerk that holds a newer assignment passes it on) and the call
 * goes to the hub. Replies suggest the Slicelet's *configured* watch timeout (5000 by default) to
 * every client and carry an empty redirect.
 *
 * @see protocol.md §3.3 rule 6, §3.4, §3.5; Dicer `SubscriberHandler`
 */
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import {
  ASSIGNMENT_SERVICE_DEFINITION,
  type AssignmentServiceImplementation,
  ClientRequest,
  type Logger,
  MAX_MESSAGE_BYTES,
  NotFoundError,
  type SubscriberHub,
  type SyncAssignmentState,
  Target,
  UnavailableError,
  toStatus,
} from '@dicer-ts/common';

/** What a {@link SliceletWatchServer} needs. */
export interface SliceletWatchServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** The Slicelet's target; requests for a fatally mismatched one are refused. */
  readonly target: Target;
  /** Holds the Slicelet's latest assignment and answers the calls. */
  readonly hub: SubscriberHub;
  /** Receives the sync state of every request of this target (rule 6 gossip). */
  readonly onSyncState: (state: SyncAssignmentState) => void;
  readonly rejectOnFatalTargetMismatch: boolean;
  readonly credentials: ServerCredentials;
  readonly logger: Logger;
}

/** Dicer's NOT_FOUND description for a request of another target (`SubscriberHandler`). */
export function misroutedTargetMessage(requested: Target, own: Target): string {
  return `Request for target ${requested.toString()} misrouted to handler for target ${own.toString()}. See 'Configuration: Clients' in <internal link>.`;
}

/** A running Watch server of one Slicelet. */
export class SliceletWatchServer {
  /** The bound port. */
  readonly port: number;
  private readonly server: Server;
  private closing: Promise<void> | undefined;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  /**
   * Binds and starts serving.
   *
   * @throws {UnavailableError} when the port cannot be bound.
   */
  static async start(options: SliceletWatchServerOptions): Promise<SliceletWatchServer> {
    const log = options.logger;
    const implementation: AssignmentServiceImplementation = {
      watch: (call, callback) => {
        let request: ClientRequest;
        try {
          request = ClientRequest.fromProto(call.request);
        } catch (err) {
          log.debug({ err }, 'invalid watch request');
          const status = toStatus(err);
          callback({ code: status.code, details: status.details });
          return;
        }
        if (Target.isFatalMismatch(request.target, options.target)) {
          const message = misroutedTargetMessage(request.target, options.target);
          if (options.rejectOnFatalTargetMismatch) {
            const status = toStatus(new NotFoundError(message));
            callback({ code: status.code, details: status.details });
            return;
          }
          log.error({ requested: request.target.toString() }, 'watch request for another target served anyway');
        } else {
          try {
            options.onSyncState(request.syncAssignmentState);
          } catch (err) {
            log.warn({ err }, 'sync state from a watch request not applied');
          }
        }
        options.hub.handleWatch(call, callback, request);
      },
    };
    const server = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    server.addService(ASSIGNMENT_SERVICE_DEFINITION, implementation);
    const host = options.host.includes(':') && !options.host.startsWith('[') ? `[${options.host}]` : options.host;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${host}:${options.port}`, options.credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
      });
      return new SliceletWatchServer(server, port);
    } catch (err) {
      server.forceShutdown();
      throw new UnavailableError(`cannot listen on ${options.host}:${options.port}: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Stops: the hub must have been closed first (that answers every parked call); in-flight replies
   * get a moment, then the server is forced down. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.server.forceShutdown(), 1000);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.closing;
  }
}
