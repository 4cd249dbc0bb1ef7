/**
 * State transfer for the demo's LRU cache (issue #10, docs/state-transfer.md): the previous owner
 * streams the entries of a moved range, the new owner inserts each one it does not hold yet (it
 * serves the range cold meanwhile, so an entry written since is fresher than the transferred one).
 */
import type { LRUCache } from 'lru-cache';
import { SliceKey, type Slice } from '@dicer-ts/common';
import type { IncomingTransfer, StateEntry, StateTransferOptions } from '@dicer-ts/slicelet-sdk';

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The `stateTransfer` option of a cache server's Slicelet over `cache`. */
export function cacheStateTransfer(cache: LRUCache<string, Uint8Array>): StateTransferOptions {
  return {
    provide: function* (range: Slice): Iterable<StateEntry> {
      // A snapshot of the keys: the cache keeps serving (and changing) while the stream runs.
      for (const key of [...cache.keys()]) {
        if (!range.contains(SliceKey.fromApplicationKey(key))) continue;
        // `peek`: a transfer is not a use, so it must not refresh the entry's recency.
        const value = cache.peek(key);
        if (value !== undefined) yield { key: utf8.encode(key), value };
      }
    },
    receive: async ({ entries }: IncomingTransfer): Promise<void> => {
      for await (const { key, value } of entries) {
        const k = fromUtf8.decode(key);
        if (!cache.has(k)) cache.set(k, value);
      }
    },
  };
}
