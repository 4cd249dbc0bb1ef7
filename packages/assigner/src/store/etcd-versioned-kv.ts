/**
 * Versioned keys in one etcd namespace (Dicer's `EtcdClient` + `EtcdWatcher`): the create/update
 * compare-and-swap transactions fenced by the per-key version and the namespace high-watermark,
 * the paged read of a key's rows, the row watch, and the bootstrap transaction. Shared by the
 * assignment store and the preferred-assigner store.
 *
 * Every KV request carries a deadline (`opTimeoutMs`, Dicer: 10 s); watches have none. All etcd3
 * errors are translated by `etcd-errors.ts`.
 *
 * @see store-ha.md §2.3–2.6
 */
import { Range, type Etcd3, type IKeyValue, type Watcher } from 'etcd3';
import { ClosedError, DataLossError, Generation, InternalError, InvalidArgumentError } from '@dicer-ts/common';
import {
  StoreNotBootstrappedError,
  translateEtcdError,
  translateEtcdWriteError,
  EtcdValueTooLargeError,
} from './etcd-errors.js';
import { EtcdKeyLayout, WATERMARK_BLOCK_INCREMENT, formatVersion, parseVersion } from './etcd-key-layout.js';

/** Dicer's client-side timeout of every etcd KV request. */
export const DEFAULT_ETCD_OP_TIMEOUT_MS = 10_000;
/** Rows per page of a range read (Dicer's `pageLimit`). */
export const DEFAULT_PAGE_LIMIT = 10;
/**
 * The largest value we send: etcd's default `--max-request-bytes` is 1.5 MiB, and the request also
 * carries the key, the version key and the txn framing. Larger values are refused before sending.
 */
export const DEFAULT_MAX_VALUE_BYTES = 1_500_000;

/** One stored version of a key. */
export interface VersionedRow {
  /** The version, decoded from the row key. */
  readonly version: Generation;
  /** The stored payload bytes. */
  readonly value: Uint8Array;
}

/** The outcome of {@link EtcdVersionedKv.write}; OCC failures are values. */
export type VersionedWriteResult =
  /** Written; a create also reports the new watermark (a lower bound for the next create). */
  | { readonly kind: 'committed'; readonly newKeyLowerBound: Generation | undefined }
  /** The key is absent but the version was not above the watermark (or `previous` was claimed). */
  | { readonly kind: 'occ-absent'; readonly lowerBound: Generation }
  /** The key exists at `actual`, which is not the claimed previous version. */
  | { readonly kind: 'occ-present'; readonly actual: Generation; readonly lowerBound: Generation };

/** The outcome of {@link EtcdVersionedKv.bootstrap}. */
export type BootstrapResult =
  | { readonly kind: 'created'; readonly watermark: Generation }
  | { readonly kind: 'already-exists'; readonly watermark: Generation };

/** What a row watch reports. */
export interface RowWatchHandlers {
  /** A row newer than any the watch delivered before. */
  onRow(row: VersionedRow): void;
  /** The watch failed (stream error, disconnect, compaction, cancel); called at most once. */
  onFailure(err: Error): void;
}

/** Options of {@link EtcdVersionedKv}. */
export interface EtcdVersionedKvOptions {
  /** @default DEFAULT_ETCD_OP_TIMEOUT_MS */
  readonly opTimeoutMs?: number;
  /** @default DEFAULT_PAGE_LIMIT */
  readonly pageLimit?: number;
  /** @default DEFAULT_MAX_VALUE_BYTES */
  readonly maxValueBytes?: number;
}

/** The versioned-key operations on one namespace. */
export class EtcdVersionedKv {
  /** The key layout of the namespace. */
  readonly layout: EtcdKeyLayout;
  private readonly client: Etcd3;
  private readonly opTimeoutMs: number;
  private readonly pageLimit: number;
  private readonly maxValueBytes: number;

  /** @throws {InvalidArgumentError} when the namespace is empty or starts with `__`. */
  constructor(client: Etcd3, namespace: string, options: EtcdVersionedKvOptions = {}) {
    this.client = client;
    this.layout = new EtcdKeyLayout(namespace);
    this.opTimeoutMs = options.opTimeoutMs ?? DEFAULT_ETCD_OP_TIMEOUT_MS;
    this.pageLimit = options.pageLimit ?? DEFAULT_PAGE_LIMIT;
    this.maxValueBytes = options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
  }

  /**
   * Writes `value` as version `version` of `appKey` in one transaction (store-ha §2.4):
   * a create (no `previous`) requires the key to be absent and `version` above the watermark and
   * raises the watermark one block above `version`; an update requires the current version to be
   * `previous` and `version` below the watermark, and (unless incremental) deletes all older rows.
   * An update that fails only because the watermark is too low bumps the watermark and throws
   * {@link InternalError} (retry).
   *
   * @throws {StoreNotBootstrappedError} when the namespace has no watermark.
   * @throws {DataLossError} when the version key or watermark does not parse.
   * @throws {EtcdValueTooLargeError} when the value exceeds the size limit.
   * @throws {UnavailableError} when etcd cannot be reached in time.
   */
  async write(
    appKey: string,
    version: Generation,
    value: Uint8Array,
    previous: Generation | undefined,
    isIncremental: boolean,
  ): Promise<VersionedWriteResult> {
    const versionKey = this.layout.versionKey(appKey);
    const rowKey = this.layout.rowKey(appKey, version);
    const wmKey = this.layout.watermarkKey;
    if (value.byteLength > this.maxValueBytes) throw new EtcdValueTooLargeError(rowKey, value.byteLength, this.maxValueBytes);
    if (previous !== undefined && previous.compare(version) >= 0) {
      throw new InvalidArgumentError(`new version ${formatVersion(version)} must be above the previous ${formatVersion(previous)}`);
    }
    const v = formatVersion(version);
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const deadline = () => ({ deadline: Date.now() + this.opTimeoutMs });
    let res;
    try {
      if (previous === undefined) {
        const newWatermark = Generation.create(version.incarnation, version.number + WATERMARK_BLOCK_INCREMENT);
        res = await this.client
          .if(versionKey, 'Version', '==', 0)
          .and(wmKey, 'Value', '<', v)
          .then(
            this.client.put(versionKey).value(v),
            this.client.put(rowKey).value(buffer),
            this.client.put(wmKey).value(formatVersion(newWatermark)),
          )
          .else(this.client.get(versionKey), this.client.get(wmKey))
          .options(deadline())
          .commit();
        if (res.succeeded) return { kind: 'committed', newKeyLowerBound: newWatermark };
      } else {
        const ops = [this.client.put(versionKey).value(v), this.client.put(rowKey).value(buffer)];
        const thenOps = isIncremental
          ? ops
          : [...ops, this.client.delete().range(rangeOf(this.layout.rowRangeStartAfter(appKey, undefined), rowKey))];
        res = await this.client
          .if(versionKey, 'Value', '==', formatVersion(previous))
          .and(wmKey, 'Value', '>', v)
          .then(...thenOps)
          .else(this.client.get(versionKey), this.client.get(wmKey))
          .options(deadline())
          .commit();
        if (res.succeeded) return { kind: 'committed', newKeyLowerBound: undefined };
      }
    } catch (err) {
      throw translateEtcdWriteError(err, rowKey, value.byteLength);
    }
    const actualText = firstValue(res.responses[0]?.response_range?.kvs);
    const wmText = firstValue(res.responses[1]?.response_range?.kvs);
    if (wmText === undefined) throw new StoreNotBootstrappedError(this.layout.namespace);
    const watermark = parseVersion(wmText);
    if (actualText === undefined) return { kind: 'occ-absent', lowerBound: watermark };
    const actual = parseVersion(actualText);
    if (previous === undefined || !actual.equals(previous)) return { kind: 'occ-present', actual, lowerBound: watermark };
    // The key is at `previous`, so only the watermark was too low: raise it and let the caller retry.
    await this.bumpWatermark(Generation.create(version.incarnation, version.number + WATERMARK_BLOCK_INCREMENT));
    throw new InternalError(
      `version ${v} of '${appKey}' is not below the high-watermark ${wmText} of namespace '${this.layout.namespace}'; watermark bumped, retry`,
    );
  }

  /**
   * Reads every row of `appKey` after `after` (all rows when `undefined`), in version order, in
   * pages of `pageLimit` pinned to the first page's revision; returns them with that revision.
   *
   * @throws {DataLossError} for a key in the range that is not a well-formed row key.
   * @throws {UnavailableError} when etcd cannot be reached in time or the revision was compacted.
   */
  async readRows(appKey: string, after: Generation | undefined): Promise<{ rows: VersionedRow[]; revision: bigint }> {
    const end = this.layout.rowRangeEnd(appKey);
    let start = this.layout.rowRangeStartAfter(appKey, after);
    const rows: VersionedRow[] = [];
    let revision: bigint | undefined;
    for (;;) {
      let builder = this.client
        .getAll()
        .inRange({ start, end })
        .sort('Key', 'Ascend')
        .limit(this.pageLimit)
        .options({ deadline: Date.now() + this.opTimeoutMs });
      if (revision !== undefined) builder = builder.revision(revision.toString());
      let page;
      try {
        page = await builder.exec();
      } catch (err) {
        throw translateEtcdError(err, `read ${start}`);
      }
      if (revision === undefined) revision = BigInt(page.header.revision);
      for (const kv of page.kvs) {
        const version = this.layout.parseRowKey(appKey, kv.key.toString('utf8'));
        rows.push({ version, value: new Uint8Array(kv.value) });
      }
      const last = rows[rows.length - 1];
      if (!page.more || page.kvs.length === 0 || last === undefined) break;
      start = this.layout.rowRangeStartAfter(appKey, last.version);
    }
    return { rows, revision };
  }

  /**
   * Watches PUTs of rows of `appKey` after `after`, from etcd revision `startRevision`; delivers
   * only rows newer than the last delivered one. Any failure (including etcd3's own disconnect,
   * which it would otherwise silently resume, and a compacted revision) ends the watch and is
   * reported once: the caller re-lists and re-watches, as Dicer's callers do.
   *
   * `signal` cancels a watch that is still being created. Without it an owner closing mid-creation
   * could not reach the watcher: etcd3 keeps it attached and re-dials (even on a closed client)
   * forever, on timers that keep the process alive.
   *
   * @returns a function that cancels the watch (idempotent; no failure is reported after it).
   * @throws {ClosedError} when `signal` aborts before the watch is created.
   * @throws {UnavailableError} when the watch stream fails or disconnects before it is created.
   */
  async watchRows(
    appKey: string,
    after: Generation | undefined,
    startRevision: bigint,
    handlers: RowWatchHandlers,
    signal?: AbortSignal,
  ): Promise<() => void> {
    if (signal?.aborted === true) throw new ClosedError(`watch ${appKey} cancelled`);
    let lastDelivered = after;
    let done = false;
    // `watcher()` (unlike `create()`) hands the watcher over at once, attached but not yet
    // connected, so that it can be cancelled while creation is pending.
    const watcher: Watcher = this.client
      .watch()
      .inRange({ start: this.layout.rowRangeStartAfter(appKey, after), end: this.layout.rowRangeEnd(appKey) })
      .startRevision(startRevision.toString())
      .only('put')
      .watcher();
    const stop = (): void => {
      watcher.removeAllListeners();
      watcher.on('error', () => undefined);
      void watcher.cancel().catch(() => undefined);
    };
    try {
      await new Promise<void>((resolve, reject) => {
        const settle = (err: Error | undefined): void => {
          watcher.off('connected', onConnected);
          watcher.off('error', onError);
          watcher.off('disconnected', onError);
          signal?.removeEventListener('abort', onAbort);
          if (err === undefined) resolve();
          else reject(err);
        };
        const onConnected = (): void => settle(undefined);
        const onError = (err: Error): void => settle(err);
        const onAbort = (): void => settle(new ClosedError(`watch ${appKey} cancelled`));
        watcher.on('connected', onConnected);
        watcher.on('error', onError);
        watcher.on('disconnected', onError);
        signal?.addEventListener('abort', onAbort);
      });
    } catch (err) {
      stop();
      throw translateEtcdError(err, `watch ${appKey}`);
    }
    const fail = (err: Error): void => {
      if (done) return;
      done = true;
      stop();
      handlers.onFailure(err);
    };
    watcher.on('put', (kv: IKeyValue) => {
      if (done) return;
      let version: Generation;
      try {
        version = this.layout.parseRowKey(appKey, kv.key.toString('utf8'));
      } catch (err) {
        fail(err as DataLossError);
        return;
      }
      if (lastDelivered !== undefined && version.compare(lastDelivered) <= 0) return;
      lastDelivered = version;
      handlers.onRow({ version, value: new Uint8Array(kv.value) });
    });
    watcher.on('error', (err: Error) => fail(translateEtcdError(err, `watch ${appKey}`)));
    watcher.on('disconnected', (err: Error) => fail(translateEtcdError(err, `watch ${appKey}`)));
    watcher.on('end', () => fail(translateEtcdError(new Error('watch stream ended'), `watch ${appKey}`)));
    return () => {
      done = true;
      stop();
    };
  }

  /**
   * Initialises the namespace watermark to `(incarnation, 0)` unless it exists (Dicer's
   * `EtcdBootstrapper`); an existing watermark is returned as is, even in a lower incarnation.
   *
   * @throws {DataLossError} when an existing watermark does not parse.
   * @throws {UnavailableError} when etcd cannot be reached in time.
   */
  async bootstrap(incarnation: bigint): Promise<BootstrapResult> {
    const initial = Generation.create(incarnation, 0n);
    const wmKey = this.layout.watermarkKey;
    let res;
    try {
      res = await this.client
        .if(wmKey, 'Version', '==', 0)
        .then(this.client.put(wmKey).value(formatVersion(initial)))
        .else(this.client.get(wmKey))
        .options({ deadline: Date.now() + this.opTimeoutMs })
        .commit();
    } catch (err) {
      throw translateEtcdError(err, `bootstrap ${wmKey}`);
    }
    if (res.succeeded) return { kind: 'created', watermark: initial };
    const text = firstValue(res.responses[0]?.response_range?.kvs);
    if (text === undefined) throw new InternalError(`watermark ${wmKey} vanished during bootstrap`);
    return { kind: 'already-exists', watermark: parseVersion(text) };
  }

  /**
   * The namespace watermark, or `undefined` when the namespace is not bootstrapped.
   *
   * @throws {DataLossError} when it does not parse.
   */
  async readWatermark(): Promise<Generation | undefined> {
    let text: string | null;
    try {
      text = await this.client.get(this.layout.watermarkKey).options({ deadline: Date.now() + this.opTimeoutMs }).string();
    } catch (err) {
      throw translateEtcdError(err, `read ${this.layout.watermarkKey}`);
    }
    return text === null ? undefined : parseVersion(text);
  }

  private async bumpWatermark(to: Generation): Promise<void> {
    const wmKey = this.layout.watermarkKey;
    const text = formatVersion(to);
    try {
      // `<` so that concurrent bumps never conflict: whoever is higher stays.
      await this.client
        .if(wmKey, 'Value', '<', text)
        .then(this.client.put(wmKey).value(text))
        .else(this.client.get(wmKey))
        .options({ deadline: Date.now() + this.opTimeoutMs })
        .commit();
    } catch (err) {
      throw translateEtcdError(err, `bump ${wmKey}`);
    }
  }
}

function firstValue(kvs: IKeyValue[] | undefined): string | undefined {
  const kv = kvs?.[0];
  return kv === undefined ? undefined : kv.value.toString('utf8');
}

function rangeOf(start: string, end: string): Range {
  return new Range(start, end);
}
