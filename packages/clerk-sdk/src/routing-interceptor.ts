/**
 * grpc-js call-level helpers of the Clerk: the metadata that carries a request's routing key, a
 * per-call interceptor that adds it, and an interceptor that counts a stub's calls in flight for
 * least-outstanding replica selection.
 */
import { type CallOptions, type Interceptor, InterceptingCall, Metadata } from '@grpc/grpc-js';
import { SliceKey } from '@dicer-ts/common';
import type { RequestCounter } from './routing-table.js';

/**
 * Metadata key of a request's application routing key (text). The routing channel turns it into
 * a SliceKey with `SliceKey.fromApplicationKey` (FarmHash Fingerprint64, as Dicer recommends), so a
 * Slicelet computing the same from the same text agrees on the owner.
 */
export const ROUTING_KEY_METADATA = 'x-dicer-routing-key';

/** Metadata key of a request's SliceKey bytes (binary header), for keys not made by FarmHash. */
export const SLICE_KEY_METADATA = 'x-dicer-slice-key-bin';

/**
 * Sets the routing key of a call in `metadata` (a new `Metadata` when omitted): a string goes in
 * {@link ROUTING_KEY_METADATA}, a `SliceKey` in {@link SLICE_KEY_METADATA}. The key stays on the
 * request, so the server can read it too.
 */
export function routingMetadata(key: string | SliceKey, metadata: Metadata = new Metadata()): Metadata {
  if (typeof key === 'string') metadata.set(ROUTING_KEY_METADATA, key);
  else metadata.set(SLICE_KEY_METADATA, Buffer.from(key.bytes));
  return metadata;
}

/**
 * The SliceKey a call's metadata routes on: {@link SLICE_KEY_METADATA} if present, else the FarmHash
 * key of {@link ROUTING_KEY_METADATA}; undefined when neither is set.
 */
export function routingKeyFromMetadata(metadata: Metadata): SliceKey | undefined {
  const bytes = metadata.get(SLICE_KEY_METADATA)[0];
  if (bytes instanceof Buffer) return SliceKey.fromBytes(new Uint8Array(bytes));
  const text = metadata.get(ROUTING_KEY_METADATA)[0];
  if (typeof text === 'string') return SliceKey.fromApplicationKey(text);
  return undefined;
}

/** A per-call interceptor that adds `key` to the call's metadata (see {@link routingMetadata}). */
export function routingKeyInterceptor(key: string | SliceKey): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => next(routingMetadata(key, metadata), listener),
    });
}

/**
 * Call options that route one call on `key` through a routing channel, e.g.
 * `client.get(request, routingCallOptions('user-42'), callback)`. Keeps `base`'s options and
 * interceptors.
 */
export function routingCallOptions(key: string | SliceKey, base: CallOptions = {}): CallOptions {
  return { ...base, interceptors: [...(base.interceptors ?? []), routingKeyInterceptor(key)] };
}

/**
 * An interceptor counting each call as in flight on `counter` from its start to its final status,
 * for least-outstanding selection (install it on per-resource clients; `grpcClientStubs` does).
 */
export function requestCountingInterceptor(counter: RequestCounter): Interceptor {
  return (options, nextCall) =>
    new InterceptingCall(nextCall(options), {
      start: (metadata, _listener, next) => {
        counter.begin();
        let ended = false;
        // A partial listener: grpc-js chains the methods left out to the caller's listener.
        next(metadata, {
          onReceiveStatus: (status, nextStatus) => {
            if (!ended) {
              ended = true;
              counter.end();
            }
            nextStatus(status);
          },
        });
      },
    });
}
