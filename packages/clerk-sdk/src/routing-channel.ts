/**
 * A grpc-js channel that routes every call, not every connection: each call goes over the channel
 * of the resource that owns the call's routing key (from its metadata), chosen by a Clerk.
 *
 * Why: a Kubernetes Service balanced by kube-proxy picks a pod per TCP connection (L4). gRPC keeps
 * one long-lived HTTP/2 connection per channel and multiplexes every request over it, so all the
 * requests of a client land on the pod its connection happened to reach: keys are not sent to
 * their owners, and load skews to whichever pods got the long-lived connections. Routing per call
 * over per-pod channels sends each request to the owner of its key, whatever connections exist.
 *
 * Use it as a generated client's channel: `new CacheClient('unused', creds, { channelOverride:
 * new RoutingChannel(clerk) })`, with calls carrying `routingCallOptions(key)` or
 * `routingMetadata(key)`.
 */
import {
  type CallCredentials,
  type ChannelInterface,
  connectivityState as ConnectivityState,
  type Deadline,
  type InterceptingListener,
  Metadata,
  type StatusObject,
  status as Status,
} from '@grpc/grpc-js';
import { isDicerError } from '@dicer-ts/common';
import type { Clerk, ClerkRoute } from './clerk.js';
import { ROUTING_KEY_METADATA, SLICE_KEY_METADATA, routingKeyFromMetadata } from './routing-interceptor.js';

/** grpc-js's call object (its type is not exported under a name). */
type GrpcCall = ReturnType<ChannelInterface['createCall']>;
type ParentCall = Parameters<ChannelInterface['createCall']>[3];
/** grpc-js's connectivity state enum type. */
type GrpcConnectivityState = ReturnType<ChannelInterface['getConnectivityState']>;
type MessageContext = Parameters<GrpcCall['sendMessageWithContext']>[0];

let callNumber = 0;

/**
 * Routes each call over the per-resource channel the Clerk picks for the call's routing key.
 * Calls without a routing key fail with INVALID_ARGUMENT; calls before the first assignment (or
 * after the Clerk closed) fail with UNAVAILABLE. The Clerk owns the per-resource channels:
 * `close()` here does nothing; close the Clerk.
 */
export class RoutingChannel implements ChannelInterface {
  constructor(private readonly clerk: Clerk<ChannelInterface>) {}

  /** Does nothing: the per-resource channels belong to the Clerk (grpc-js `Client.close` calls this). */
  close(): void {}

  /** `dicer:///<target>`, for logs. */
  getTarget(): string {
    return `dicer:///${this.clerk.status().watchAddress}`;
  }

  /** READY once the Clerk has an assignment, else CONNECTING. */
  getConnectivityState(_tryToConnect: boolean): GrpcConnectivityState {
    return this.clerk.isReady ? ConnectivityState.READY : ConnectivityState.CONNECTING;
  }

  /** Calls back when the Clerk becomes ready (the only state change), or with an error at the deadline. */
  watchConnectivityState(currentState: GrpcConnectivityState, deadline: Date | number, callback: (error?: Error) => void): void {
    if (this.getConnectivityState(false) !== currentState) {
      process.nextTick(callback);
      return;
    }
    const onAssignment = (): void => {
      clearTimeout(timer);
      callback();
    };
    const delayMs = Math.max(0, (deadline instanceof Date ? deadline.getTime() : deadline) - Date.now());
    const timer = setTimeout(() => {
      this.clerk.off('assignment', onAssignment);
      callback(new Error('Deadline passed without connectivity state change'));
    }, delayMs);
    this.clerk.once('assignment', onAssignment);
  }

  /** A placeholder reference: the real channels are per resource. */
  getChannelzRef(): ReturnType<ChannelInterface['getChannelzRef']> {
    // channelz's EntityTypes enum is not exported; its `channel` member is the string 'channel'.
    return { kind: 'channel', id: 0, name: this.getTarget() } as unknown as ReturnType<ChannelInterface['getChannelzRef']>;
  }

  /** A call that picks its resource when it starts, from the routing key in its metadata. */
  createCall(method: string, deadline: Deadline, host: string | null | undefined, parentCall: ParentCall, propagateFlags: number | null | undefined): GrpcCall {
    return new RoutedCall(this.clerk, method, deadline, host, parentCall, propagateFlags);
  }
}

/** Defers creating the real call until `start` shows the metadata; then forwards everything. */
class RoutedCall implements GrpcCall {
  private readonly number = ++callNumber;
  private inner: GrpcCall | undefined;
  private credentials: CallCredentials | undefined;
  /** Set when the call ended before reaching a resource (no key, not ready, cancelled early). */
  private finished = false;
  private pendingCancel: { code: Status; details: string } | undefined;

  constructor(
    private readonly clerk: Clerk<ChannelInterface>,
    private readonly method: string,
    private readonly deadline: Deadline,
    private readonly host: string | null | undefined,
    private readonly parentCall: ParentCall,
    private readonly propagateFlags: number | null | undefined,
  ) {}

  start(metadata: Metadata, listener: InterceptingListener): void {
    if (this.pendingCancel !== undefined) {
      this.fail(listener, this.pendingCancel.code, this.pendingCancel.details);
      return;
    }
    const key = routingKeyFromMetadata(metadata);
    if (key === undefined) {
      this.fail(listener, Status.INVALID_ARGUMENT, `no routing key: set metadata ${ROUTING_KEY_METADATA} or ${SLICE_KEY_METADATA}`);
      return;
    }
    let route: ClerkRoute<ChannelInterface> | undefined;
    try {
      route = this.clerk.routeForKey(key);
    } catch (err) {
      this.fail(listener, Status.UNAVAILABLE, isDicerError(err) ? err.message : 'routing failed');
      return;
    }
    if (route === undefined) {
      this.fail(listener, Status.UNAVAILABLE, 'no assignment yet: the Clerk is not ready');
      return;
    }
    const { counter } = route;
    const inner = route.stub.createCall(this.method, this.deadline, this.host, this.parentCall, this.propagateFlags);
    if (this.credentials !== undefined) inner.setCredentials(this.credentials);
    this.inner = inner;
    counter.begin();
    inner.start(metadata, {
      onReceiveMetadata: (m) => listener.onReceiveMetadata(m),
      onReceiveMessage: (m: unknown) => listener.onReceiveMessage(m),
      onReceiveStatus: (s) => {
        counter.end();
        listener.onReceiveStatus(s);
      },
    });
  }

  sendMessageWithContext(context: MessageContext, message: Buffer): void {
    if (this.inner !== undefined) this.inner.sendMessageWithContext(context, message);
    else context.callback?.();
  }

  startRead(): void {
    this.inner?.startRead();
  }

  halfClose(): void {
    this.inner?.halfClose();
  }

  cancelWithStatus(code: Status, details: string): void {
    if (this.inner !== undefined) this.inner.cancelWithStatus(code, details);
    else if (!this.finished) this.pendingCancel = { code, details };
  }

  getPeer(): string {
    return this.inner?.getPeer() ?? 'unknown';
  }

  getCallNumber(): number {
    return this.number;
  }

  setCredentials(credentials: CallCredentials): void {
    if (this.inner !== undefined) this.inner.setCredentials(credentials);
    else this.credentials = credentials;
  }

  getAuthContext(): ReturnType<GrpcCall['getAuthContext']> {
    return this.inner?.getAuthContext() ?? null;
  }

  /** Ends the call locally, asynchronously as a real call would. */
  private fail(listener: InterceptingListener, code: Status, details: string): void {
    this.finished = true;
    const status: StatusObject = { code, details, metadata: new Metadata() };
    process.nextTick(() => listener.onReceiveStatus(status));
  }
}
