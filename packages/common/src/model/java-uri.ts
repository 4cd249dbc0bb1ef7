/**
 * A small emulation of `java.net.URI`: its RFC 2396 parser (with Java's deviations: IPv6 literals,
 * empty authority before a path, registry-based fallback for authorities that are not
 * host[:port]), its `URISyntaxException` texts, and its `equals`/`compareTo`. Dicer's
 * `ResourceAddress` and Kubernetes cluster URIs are Java URIs, and SQUID order, Affinity matching
 * and several vector texts depend on these exact semantics; WHATWG `URL` is not equivalent (it
 * rejects relative references such as `Pod0` and normalises differently).
 *
 * Written from the behaviour of `java.net.URI` (OpenJDK 17) as described in its documentation and in
 * protocol.md §2.3 and the vectors README §3 (`squid_test_data`, `target_test_data`).
 */
import { InvalidArgumentError } from '../errors.js';

/** ASCII character classes of RFC 2396, as `java.net.URI` builds them. */
const DIGIT = '0123456789';
const UPALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWALPHA = 'abcdefghijklmnopqrstuvwxyz';
const ALPHA = UPALPHA + LOWALPHA;
const ALPHANUM = ALPHA + DIGIT;
const HEX = DIGIT + 'ABCDEFabcdef';
const MARK = "-_.!~*'()";
const UNRESERVED = ALPHANUM + MARK;
const RESERVED = ';/?:@&=+$,[]';

/** A character class; `escaped` also admits `%HH` escapes and visible non-ASCII characters. */
interface CharClass {
  readonly chars: ReadonlySet<string>;
  readonly escaped: boolean;
}

function charClass(chars: string, escaped: boolean): CharClass {
  return { chars: new Set(chars), escaped };
}

const C_ALPHA = charClass(ALPHA, false);
const C_DIGIT = charClass(DIGIT, false);
const C_HEX = charClass(HEX, false);
const C_ALPHANUM = charClass(ALPHANUM, false);
const C_ALPHANUM_DASH = charClass(ALPHANUM + '-', false);
const C_DIGIT_DOT = charClass(DIGIT + '.', false);
const C_SCHEME = charClass(ALPHANUM + '+-.', false);
const C_URIC = charClass(RESERVED + UNRESERVED, true);
const C_PATH = charClass(UNRESERVED + ':@&=+$,' + ';/', true);
const C_USERINFO = charClass(UNRESERVED + ';:&=+$,', true);
const C_REG_NAME = charClass(UNRESERVED + '$,;:@&=+', true);
const SERVER = UNRESERVED + ';:&=+$,' + ALPHANUM + '-' + '.:@[]';
const C_SERVER = charClass(SERVER, true);
const C_SERVER_PERCENT = charClass(SERVER + '%', true);
const C_SCOPE_ID = charClass(ALPHANUM + '_.', false);
const C_IPV6 = charClass(HEX + ':.', false);

/** Java's `Character.isSpaceChar || Character.isISOControl`, for the code units we can meet. */
function isSpaceOrControl(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x20 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** `java.net.URISyntaxException`'s message: `<reason> at index <i>: <input>`. */
function syntaxError(input: string, reason: string, index: number): InvalidArgumentError {
  const where = index > -1 ? ` at index ${index}` : '';
  return new InvalidArgumentError(`${reason}${where}: ${input}`);
}

/** One pass of Java's `URI.Parser` over an input string. */
class Parser {
  scheme: string | undefined;
  schemeSpecificPart: string | undefined;
  authority: string | undefined;
  userInfo: string | undefined;
  host: string | undefined;
  port = -1;
  path: string | undefined;
  query: string | undefined;
  fragment: string | undefined;

  constructor(private readonly input: string) {}

  private fail(reason: string, index = -1): never {
    throw syntaxError(this.input, reason, index);
  }

  private failExpecting(expected: string, index: number): never {
    this.fail(`Expected ${expected}`, index);
  }

  private at(p: number, n: number, c: string): boolean {
    return p < n && this.input[p] === c;
  }

  /** Index of the first `stop` character, the end, or -1 if an `err` character comes first. */
  private scanFor(start: number, end: number, err: string, stop: string): number {
    let p = start;
    while (p < end) {
      const c = this.input[p]!;
      if (err.includes(c)) return -1;
      if (stop.includes(c)) break;
      p++;
    }
    return p;
  }

  /** `start + 1` when the character at `start` is `c`, else `start`. */
  private scanChar(start: number, end: number, c: string): number {
    return start < end && this.input[start] === c ? start + 1 : start;
  }

  private scanEscape(p: number, n: number): number {
    const c = this.input[p]!;
    if (c === '%') {
      if (p + 3 <= n && C_HEX.chars.has(this.input[p + 1]!) && C_HEX.chars.has(this.input[p + 2]!)) return p + 3;
      this.fail('Malformed escape pair', p);
    }
    const code = c.charCodeAt(0);
    if (code > 128 && !isSpaceOrControl(code)) return p + 1;
    return p;
  }

  /** Index of the first character not in `cls` (escapes consumed when the class admits them). */
  private scanClass(start: number, end: number, cls: CharClass): number {
    let p = start;
    while (p < end) {
      const c = this.input[p]!;
      if (cls.chars.has(c)) {
        p++;
        continue;
      }
      if (cls.escaped) {
        const q = this.scanEscape(p, end);
        if (q > p) {
          p = q;
          continue;
        }
      }
      break;
    }
    return p;
  }

  private checkChars(start: number, end: number, cls: CharClass, what: string): void {
    const p = this.scanClass(start, end, cls);
    if (p < end) this.fail(`Illegal character in ${what}`, p);
  }

  parse(): void {
    const input = this.input;
    const n = input.length;
    let p = this.scanFor(0, n, '/?#', ':');
    if (p >= 0 && this.at(p, n, ':')) {
      if (p === 0) this.failExpecting('scheme name', 0);
      this.checkChars(0, 1, C_ALPHA, 'scheme name');
      this.checkChars(1, p, C_SCHEME, 'scheme name');
      this.scheme = input.substring(0, p);
      p++;
      if (this.at(p, n, '/')) {
        p = this.parseHierarchical(p, n);
      } else {
        const q = this.scanFor(p, n, '', '#');
        if (q <= p) this.failExpecting('scheme-specific part', p);
        this.checkChars(p, q, C_URIC, 'opaque part');
        p = q;
      }
    } else {
      p = this.parseHierarchical(0, n);
    }
    // Parsing stopped at the fragment (or the end), so the scheme-specific part ends at p.
    this.schemeSpecificPart = input.substring(this.scheme === undefined ? 0 : this.scheme.length + 1, p);
    if (this.at(p, n, '#')) {
      this.checkChars(p + 1, n, C_URIC, 'fragment');
      this.fragment = input.substring(p + 1, n);
      p = n;
    }
    if (p < n) this.failExpecting('end of URI', p);
  }

  private parseHierarchical(start: number, n: number): number {
    let p = start;
    if (this.at(p, n, '/') && this.at(p + 1, n, '/')) {
      p += 2;
      const q = this.scanFor(p, n, '', '/?#');
      if (q > p) {
        p = this.parseAuthority(p, q);
      } else if (q >= n) {
        this.failExpecting('authority', p);
      }
      // Java's deviation: an empty authority before a non-empty path, query or fragment is allowed.
    }
    let q = this.scanFor(p, n, '', '?#');
    this.checkChars(p, q, C_PATH, 'path');
    this.path = this.input.substring(p, q);
    p = q;
    if (this.at(p, n, '?')) {
      p++;
      q = this.scanFor(p, n, '', '#');
      this.checkChars(p, q, C_URIC, 'query');
      this.query = this.input.substring(p, q);
      p = q;
    }
    return p;
  }

  private parseAuthority(start: number, n: number): number {
    const p = start;
    let q = p;
    let saved: InvalidArgumentError | undefined;
    const serverChars =
      this.scanChar(p, n, ']') > p
        ? this.scanClass(p, n, C_SERVER_PERCENT) === n
        : this.scanClass(p, n, C_SERVER) === n;
    const regChars = this.scanClass(p, n, C_REG_NAME) === n;
    if (regChars && !serverChars) {
      this.authority = this.input.substring(p, n);
      return n;
    }
    if (serverChars) {
      // Probably host[:port]; if that parse fails, fall back to a registry-based authority.
      try {
        q = this.parseServer(p, n);
        if (q < n) this.failExpecting('end of authority', q);
        this.authority = this.input.substring(p, n);
      } catch (err) {
        if (!(err instanceof InvalidArgumentError)) throw err;
        this.userInfo = undefined;
        this.host = undefined;
        this.port = -1;
        saved = err;
        q = p;
      }
    }
    if (q < n) {
      if (regChars) {
        this.authority = this.input.substring(p, n);
      } else if (saved !== undefined) {
        throw saved;
      } else {
        this.fail('Illegal character in authority', q);
      }
    }
    return n;
  }

  private parseServer(start: number, n: number): number {
    let p = start;
    let q = this.scanFor(p, n, '/?#', '@');
    if (q >= p && this.at(q, n, '@')) {
      this.checkChars(p, q, C_USERINFO, 'user info');
      this.userInfo = this.input.substring(p, q);
      p = q + 1;
    }
    if (this.at(p, n, '[')) {
      p++;
      q = this.scanFor(p, n, '/?#', ']');
      if (q > p && this.at(q, n, ']')) {
        const r = this.scanFor(p, q, '', '%');
        if (r > p && r < q) {
          this.parseIpv6(p, r);
          if (r + 1 === q) this.fail('scope id expected');
          this.checkChars(r + 1, q, C_SCOPE_ID, 'scope id');
        } else {
          this.parseIpv6(p, q);
        }
        this.host = this.input.substring(p - 1, q + 1);
        p = q + 1;
      } else {
        this.failExpecting('closing bracket for IPv6 address', q);
      }
    } else {
      q = this.parseIpv4(p, n);
      if (q <= p) q = this.parseHostname(p, n);
      p = q;
    }
    if (this.at(p, n, ':')) {
      p++;
      q = this.scanFor(p, n, '', '/');
      if (q > p) {
        this.checkChars(p, q, C_DIGIT, 'port number');
        const port = Number(this.input.substring(p, q));
        if (!Number.isSafeInteger(port) || port > 2_147_483_647) this.fail('Malformed port number', p);
        this.port = port;
        p = q;
      }
    }
    if (p < n) this.failExpecting('port number', p);
    return p;
  }

  /** Dotted-quad IPv4 address (each part at most 255), or -1 when the text is not one. */
  private parseIpv4(start: number, n: number): number {
    const m = this.scanClass(start, n, C_DIGIT_DOT);
    if (m <= start) return -1;
    let p = start;
    for (let part = 0; part < 4; part++) {
      if (part > 0) {
        if (this.scanChar(p, m, '.') <= p) return -1;
        p++;
      }
      const q = this.scanClass(p, m, C_DIGIT);
      if (q <= p || Number(this.input.substring(p, q)) > 255) return -1;
      p = q;
    }
    if (p < m) return -1;
    if (p < n && this.input[p] !== ':') return -1;
    this.host = this.input.substring(start, p);
    return p;
  }

  private parseHostname(start: number, n: number): number {
    let p = start;
    let lastLabel = -1;
    do {
      let q = this.scanClass(p, n, C_ALPHANUM);
      if (q <= p) break;
      lastLabel = p;
      p = q;
      q = this.scanClass(p, n, C_ALPHANUM_DASH);
      if (q > p) {
        if (this.input[q - 1] === '-') this.fail('Illegal character in hostname', q - 1);
        p = q;
      }
      q = this.scanChar(p, n, '.');
      if (q <= p) break;
      p = q;
    } while (p < n);
    if (p < n && !this.at(p, n, ':')) this.fail('Illegal character in hostname', p);
    if (lastLabel < 0) this.failExpecting('hostname', start);
    // In a qualified name the rightmost label must start with a letter.
    if (lastLabel > start && !C_ALPHA.chars.has(this.input[lastLabel]!)) {
      this.fail('Illegal character in hostname', lastLabel);
    }
    this.host = this.input.substring(start, p);
    return p;
  }

  /** A coarse IPv6 check (hex groups, at most one `::`, optional trailing IPv4). */
  private parseIpv6(start: number, end: number): void {
    const text = this.input.substring(start, end);
    const bad = this.scanClass(start, end, C_IPV6);
    if (bad < end) this.fail('Malformed IPv6 address', bad);
    const doubleColons = text.split('::').length - 1;
    const groups = text.split(':').filter((g) => g !== '');
    const last = groups[groups.length - 1] ?? '';
    const ipv4Tail = last.includes('.');
    const hexGroups = ipv4Tail ? groups.length - 1 : groups.length;
    const width = hexGroups + (ipv4Tail ? 2 : 0);
    const ok =
      doubleColons <= 1 &&
      groups.slice(0, hexGroups).every((g) => g.length <= 4 && !g.includes('.')) &&
      (!ipv4Tail || /^(\d{1,3})(\.\d{1,3}){3}$/.test(last)) &&
      (doubleColons === 1 ? width < 8 : width === 8);
    if (!ok) this.fail('Malformed IPv6 address', start);
  }
}

/**
 * An immutable parsed URI with `java.net.URI` semantics. `toString()` is the input string, as for a
 * Java URI built from a string.
 */
export class JavaUri {
  /** Scheme, e.g. `https`; undefined for a relative reference such as `Pod0`. */
  readonly scheme: string | undefined;
  /** Everything between the scheme's `:` and the fragment. */
  readonly schemeSpecificPart: string;
  /** Authority (server-based or registry-based), undefined if none. */
  readonly authority: string | undefined;
  /** User information of a server-based authority. */
  readonly userInfo: string | undefined;
  /** Host of a server-based authority (undefined for registry-based authorities). */
  readonly host: string | undefined;
  /** Port of a server-based authority; -1 when none, as in Java. */
  readonly port: number;
  /** Path; undefined only for opaque URIs (`mailto:x`, `kubernetes-cluster:a/b`). */
  readonly path: string | undefined;
  /** Query, without `?`. */
  readonly query: string | undefined;
  /** Fragment, without `#`. */
  readonly fragment: string | undefined;
  private readonly text: string;

  private constructor(text: string, parser: Parser) {
    this.text = text;
    this.scheme = parser.scheme;
    this.schemeSpecificPart = parser.schemeSpecificPart ?? '';
    this.authority = parser.authority;
    this.userInfo = parser.userInfo;
    this.host = parser.host;
    this.port = parser.port;
    this.path = parser.path;
    this.query = parser.query;
    this.fragment = parser.fragment;
  }

  /**
   * Parses like `new java.net.URI(text)`.
   *
   * @throws {InvalidArgumentError} with Java's `URISyntaxException` message, which echoes the input
   *   (`Illegal character in path at index 9: malformed URI violating RFC 2396`).
   */
  static parse(text: string): JavaUri {
    const parser = new Parser(text);
    parser.parse();
    return new JavaUri(text, parser);
  }

  /** True for an absolute URI whose scheme-specific part does not start with `/`. */
  isOpaque(): boolean {
    return this.path === undefined;
  }

  /** True when the URI has a scheme. */
  isAbsolute(): boolean {
    return this.scheme !== undefined;
  }

  /**
   * `java.net.URI.equals`: scheme and host ignore ASCII case, `%HH` escapes ignore hex case,
   * everything else is exact.
   */
  equals(that: JavaUri): boolean {
    if (this === that) return true;
    if (this.isOpaque() !== that.isOpaque()) return false;
    if (!equalIgnoringCase(this.scheme, that.scheme)) return false;
    if (!equalEscaped(this.fragment, that.fragment)) return false;
    if (this.isOpaque()) return equalEscaped(this.schemeSpecificPart, that.schemeSpecificPart);
    if (!equalEscaped(this.path, that.path)) return false;
    if (!equalEscaped(this.query, that.query)) return false;
    if (this.authority === undefined && that.authority === undefined) return true;
    if (this.host !== undefined) {
      if (!equalEscaped(this.userInfo, that.userInfo)) return false;
      if (!equalIgnoringCase(this.host, that.host)) return false;
      return this.port === that.port;
    }
    if (this.authority !== undefined) return equalEscaped(this.authority, that.authority);
    return false;
  }

  /**
   * `java.net.URI.compareTo`: scheme (ignoring case; none first), opaque after hierarchical, then
   * for two server authorities user info, host (ignoring case) and port numerically (none = -1),
   * else the authority strings; then path, query and fragment (absent first).
   */
  compare(that: JavaUri): number {
    let c = compareIgnoringCase(this.scheme, that.scheme);
    if (c !== 0) return c;
    if (this.isOpaque()) {
      if (!that.isOpaque()) return 1;
      c = compareStrings(this.schemeSpecificPart, that.schemeSpecificPart);
      return c !== 0 ? c : compareStrings(this.fragment, that.fragment);
    }
    if (that.isOpaque()) return -1;
    if (this.host !== undefined && that.host !== undefined) {
      c = compareStrings(this.userInfo, that.userInfo);
      if (c !== 0) return c;
      c = compareIgnoringCase(this.host, that.host);
      if (c !== 0) return c;
      c = this.port - that.port;
      if (c !== 0) return c;
    } else {
      c = compareStrings(this.authority, that.authority);
      if (c !== 0) return c;
    }
    c = compareStrings(this.path, that.path);
    if (c !== 0) return c;
    c = compareStrings(this.query, that.query);
    if (c !== 0) return c;
    return compareStrings(this.fragment, that.fragment);
  }

  /** The string the URI was parsed from. */
  toString(): string {
    return this.text;
  }
}

function toLowerAscii(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

function equalIgnoringCase(s: string | undefined, t: string | undefined): boolean {
  if (s === undefined || t === undefined) return s === t;
  if (s.length !== t.length) return false;
  for (let i = 0; i < s.length; i++) {
    if (toLowerAscii(s.charCodeAt(i)) !== toLowerAscii(t.charCodeAt(i))) return false;
  }
  return true;
}

/** Java's `URI.equal`: exact, except that the two hex digits of `%HH` escapes ignore case. */
function equalEscaped(s: string | undefined, t: string | undefined): boolean {
  if (s === undefined || t === undefined) return s === t;
  if (s.length !== t.length) return false;
  if (!s.includes('%')) return s === t;
  for (let i = 0; i < s.length; ) {
    if (s[i] !== '%') {
      if (s[i] !== t[i]) return false;
      i++;
      continue;
    }
    if (t[i] !== '%') return false;
    for (let k = 1; k <= 2; k++) {
      if (toLowerAscii(s.charCodeAt(i + k)) !== toLowerAscii(t.charCodeAt(i + k))) return false;
    }
    i += 3;
  }
  return true;
}

/** Java `String.compareTo` (UTF-16 code units) with absent sorting first. */
function compareStrings(s: string | undefined, t: string | undefined): number {
  if (s === t) return 0;
  if (s === undefined) return -1;
  if (t === undefined) return 1;
  const n = Math.min(s.length, t.length);
  for (let i = 0; i < n; i++) {
    const d = s.charCodeAt(i) - t.charCodeAt(i);
    if (d !== 0) return d;
  }
  return s.length - t.length;
}

function compareIgnoringCase(s: string | undefined, t: string | undefined): number {
  if (s === t) return 0;
  if (s === undefined) return -1;
  if (t === undefined) return 1;
  const n = Math.min(s.length, t.length);
  for (let i = 0; i < n; i++) {
    const d = toLowerAscii(s.charCodeAt(i)) - toLowerAscii(t.charCodeAt(i));
    if (d !== 0) return d;
  }
  return s.length - t.length;
}
