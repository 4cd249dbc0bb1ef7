/**
 * Dicer's etcd key layout (`EtcdKeyValueMapper.scala`, `EtcdClient.scala`): pure string functions
 * for namespaces, keys, version strings and key ranges. No I/O.
 *
 * Per namespace `ns`:
 * - `ns/__version_high_watermark` → version string, the namespace's high-watermark;
 * - `ns/<appKey>/version` → the current version string of `appKey` (the compare-and-swap anchor);
 * - `ns/<appKey>/<inc hex16>/<num hex16>` → the payload of that version (one row per version).
 *
 * Every path component (the namespace too) is percent-encoded for exactly `/`, `:` and `%`; hex
 * fields are 16 upper-case, zero-padded digits so that lexicographic order is numeric order.
 *
 * @see store-ha.md §2.3
 */
import { DataLossError, Generation, InvalidArgumentError } from '@dicer-ts/common';

/** The last path component of the namespace high-watermark key. */
export const VERSION_HIGH_WATERMARK_COMPONENT = '__version_high_watermark';
/** The last path component of an app key's current-version key. */
export const VERSION_COMPONENT = 'version';
/** The app key of the preferred-assigner record. */
export const PREFERRED_ASSIGNER_APP_KEY = '_preferred_assigner_';
/**
 * How far a create pushes the watermark above the version it writes: one hour of generation
 * numbers (which track wall-clock ms), so that creates of other keys in the next hour need no bump.
 */
export const WATERMARK_BLOCK_INCREMENT = 3_600_000n;

const HEX16 = /^[0-9A-F]{16}$/;
const UINT64_MAX = (1n << 64n) - 1n;
const MIN_HEX16 = '0000000000000000';
const MAX_HEX16 = 'FFFFFFFFFFFFFFFF';

/** The two namespaces of one deployment sharing an etcd cluster. */
export interface EtcdNamespaces {
  /** `<P>assignments`. */
  readonly assignments: string;
  /** `<P>preferred-assigner`. */
  readonly preferredAssigner: string;
}

/**
 * The namespaces for `storeNamespacePrefix`: `assignments` and `preferred-assigner`, each prefixed
 * with `<prefix>-` when the prefix is non-empty (Dicer's `storeNamespacePrefix`).
 */
export function namespacesFor(storeNamespacePrefix: string): EtcdNamespaces {
  const p = storeNamespacePrefix === '' ? '' : `${storeNamespacePrefix}-`;
  return { assignments: `${p}assignments`, preferredAssigner: `${p}preferred-assigner` };
}

/** Percent-encodes exactly `%`, `/` and `:` (nothing else), as Dicer's key mapper does. */
export function encodeKeyComponent(component: string): string {
  return component.replace(/[%/:]/g, (c) => (c === '%' ? '%25' : c === '/' ? '%2F' : '%3A'));
}

/** Inverse of {@link encodeKeyComponent}. */
export function decodeKeyComponent(component: string): string {
  return component.replace(/%(25|2F|3A)/g, (_m, code: string) => (code === '25' ? '%' : code === '2F' ? '/' : ':'));
}

/** 16 upper-case hex digits of an unsigned 64-bit value. */
export function formatHex16(value: bigint): string {
  if (value < 0n || value > UINT64_MAX) throw new InvalidArgumentError(`value does not fit in 64 unsigned bits: ${value}`);
  return value.toString(16).toUpperCase().padStart(16, '0');
}

/**
 * Parses 16 upper-case hex digits as an unsigned 64-bit value.
 *
 * @throws {DataLossError} for any other width or case.
 */
export function parseHex16(text: string): bigint {
  if (!HEX16.test(text)) throw new DataLossError(`malformed hex16 version field: '${text}'`);
  return BigInt(`0x${text}`);
}

/** The version string `IIIIIIIIIIIIIIII/NNNNNNNNNNNNNNNN` of a generation. */
export function formatVersion(generation: Generation): string {
  return `${formatHex16(generation.incarnation)}/${formatHex16(generation.number)}`;
}

/**
 * Parses a version string into a generation.
 *
 * @throws {DataLossError} when it is not two hex16 fields joined by `/`, or not a valid generation.
 */
export function parseVersion(text: string): Generation {
  const parts = text.split('/');
  if (parts.length !== 2) throw new DataLossError(`malformed version string: '${text}'`);
  const incarnation = parseHex16(parts[0] as string);
  const number = parseHex16(parts[1] as string);
  try {
    return Generation.create(incarnation, number);
  } catch (err) {
    throw new DataLossError(`version string is not a valid generation: '${text}'`, { cause: err });
  }
}

/**
 * The keys of one namespace. App keys are given unencoded (a target's description, or
 * {@link PREFERRED_ASSIGNER_APP_KEY}) and are encoded here.
 */
export class EtcdKeyLayout {
  /** The namespace, unencoded. */
  readonly namespace: string;
  private readonly encodedNamespace: string;

  /** @throws {InvalidArgumentError} when the namespace is empty or starts with `__`. */
  constructor(namespace: string) {
    if (namespace === '' || namespace.startsWith('__')) {
      throw new InvalidArgumentError(`etcd namespace must be non-empty and must not start with '__', got '${namespace}'`);
    }
    this.namespace = namespace;
    this.encodedNamespace = encodeKeyComponent(namespace);
  }

  /** `ns/__version_high_watermark`. */
  get watermarkKey(): string {
    return `${this.encodedNamespace}/${VERSION_HIGH_WATERMARK_COMPONENT}`;
  }

  /** Every key of the namespace starts with this. */
  get namespacePrefix(): string {
    return `${this.encodedNamespace}/`;
  }

  /** `ns/<appKey>/version`. */
  versionKey(appKey: string): string {
    return `${this.appPrefix(appKey)}${VERSION_COMPONENT}`;
  }

  /** `ns/<appKey>/<inc hex16>/<num hex16>`. */
  rowKey(appKey: string, generation: Generation): string {
    return `${this.appPrefix(appKey)}${formatVersion(generation)}`;
  }

  /** The first row key strictly after `generation` (`EMPTY` → the start of the range). */
  rowRangeStartAfter(appKey: string, generation: Generation | undefined): string {
    if (generation === undefined) return `${this.appPrefix(appKey)}${MIN_HEX16}/${MIN_HEX16}`;
    const next = generation.number + 1n;
    // number ≤ 2^63−1, so number+1 always fits in hex16.
    return `${this.appPrefix(appKey)}${formatHex16(generation.incarnation)}/${formatHex16(next)}`;
  }

  /** The exclusive end of the rows of `appKey` (the `/version` key sorts after it: `v` > `F`). */
  rowRangeEnd(appKey: string): string {
    return `${this.appPrefix(appKey)}${MAX_HEX16}/${MAX_HEX16}`;
  }

  /**
   * The generation of a row key of `appKey`.
   *
   * @throws {DataLossError} when the key is not a well-formed row key of `appKey`.
   */
  parseRowKey(appKey: string, key: string): Generation {
    const prefix = this.appPrefix(appKey);
    if (!key.startsWith(prefix)) throw new DataLossError(`key '${key}' is not under '${prefix}'`);
    return parseVersion(key.slice(prefix.length));
  }

  private appPrefix(appKey: string): string {
    if (appKey === '' || appKey.startsWith('__')) {
      throw new InvalidArgumentError(`etcd app key must be non-empty and must not start with '__', got '${appKey}'`);
    }
    return `${this.encodedNamespace}/${encodeKeyComponent(appKey)}/`;
  }
}
