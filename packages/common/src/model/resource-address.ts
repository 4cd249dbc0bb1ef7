/**
 * The routing address of a resource (a Slicelet's application endpoint), a `java.net.URI` in Dicer.
 *
 * @see protocol.md §2.3; Dicer `ResourceAddress.scala`
 */
import { JavaUri } from './java-uri.js';
import { requireThat } from './requirement.js';

/**
 * A non-empty URI such as `https://10.1.2.3:8080` (or a relative one such as `Pod0` in tests), with
 * Java URI equality and ordering: scheme and host ignore case, ports compare numerically, a URI
 * without scheme sorts first.
 */
export class ResourceAddress {
  /** The address as given, e.g. `https://10.1.2.3:8080`. */
  readonly uri: string;
  private readonly parsed: JavaUri;

  private constructor(uri: string, parsed: JavaUri) {
    this.uri = uri;
    this.parsed = parsed;
  }

  /**
   * Parses an address.
   *
   * @throws {InvalidArgumentError} `requirement failed: URI must not be empty`, or Java's
   *   `URISyntaxException` text, which echoes the input (`Illegal character in path at index 9: …`).
   */
  static create(uri: string): ResourceAddress {
    requireThat(uri.length > 0, () => 'URI must not be empty');
    return new ResourceAddress(uri, JavaUri.parse(uri));
  }

  /** The parsed URI (scheme, host, port, …). */
  get javaUri(): JavaUri {
    return this.parsed;
  }

  /** Java `URI.compareTo` order. */
  compare(other: ResourceAddress): number {
    return this.parsed.compare(other.parsed);
  }

  /** Java `URI.equals`: `HTTP://FOO.bar` equals `http://foo.BAR`. */
  equals(other: ResourceAddress): boolean {
    return this === other || this.parsed.equals(other.parsed);
  }

  /** The address as given. */
  toString(): string {
    return this.uri;
  }
}
