import { Client, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import type { Clock } from '../clock.js';
import { watchAddressToGrpcTarget } from './watch-address.js';

interface Entry {
  readonly client: Client;
  lastUsedAtMs: number;
}

/**
 * grpc-js clients (one channel each) by watch address: the configured address lives as long as
 * the cache; redirect addresses are closed once unused for `idleMs` (Dicer's
 * `watchStubCacheTimeSeconds`, expire-after-access 300 s). Addresses that map to the same
 * `host:port` share one channel.
 */
export class ChannelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly credentials: ChannelCredentials,
    private readonly channelOptions: ChannelOptions,
    private readonly clock: Clock,
    private readonly idleMs: number,
    private readonly pinnedAddress: string,
  ) {}

  /**
   * The client for `address`, created on first use; closes redirect channels idle too long.
   *
   * @throws {InvalidArgumentError} when the address does not parse.
   */
  get(address: string): Client {
    const now = this.clock.nowMs();
    const key = watchAddressToGrpcTarget(address);
    const pinnedKey = watchAddressToGrpcTarget(this.pinnedAddress);
    for (const [k, e] of this.entries) {
      if (k !== key && k !== pinnedKey && now - e.lastUsedAtMs >= this.idleMs) {
        e.client.close();
        this.entries.delete(k);
      }
    }
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = { client: new Client(key, this.credentials, this.channelOptions), lastUsedAtMs: now };
      this.entries.set(key, entry);
    }
    entry.lastUsedAtMs = now;
    return entry.client;
  }

  /** Number of open channels. */
  get size(): number {
    return this.entries.size;
  }

  /** Closes every channel. */
  close(): void {
    for (const e of this.entries.values()) e.client.close();
    this.entries.clear();
  }
}
