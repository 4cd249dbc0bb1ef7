/**
 * A small, strict, schema-less parser for the protobuf text format, the format of Dicer's
 * `<target>.textproto` configuration files.
 *
 * It understands what those files use and what the text-format specification allows around it:
 * `#` comments; fields written `name: value`, `name { … }`, `name < … >` or `name: { … }`; optional
 * `,` / `;` separators; the list shorthand `name: [a, b]` and `name [{…}, {…}]`; scalars as
 * identifiers (enum names, `true`, `inf`, …), signed decimal / hexadecimal / octal integers,
 * floats (with an optional `f` suffix) and quoted strings (single or double quotes, the C escapes,
 * `\xHH`, octal, `\u`/`\U`, adjacent strings concatenated). Extension and `Any` fields (`[…]`) are
 * rejected. The output is a tree of fields in file order, each with its 1-based line and column, so
 * that a schema applied afterwards (see `target-config.ts`) can report errors at the right place.
 *
 * @see https://protobuf.dev/reference/protobuf/textformat-spec/
 */
import { InvalidArgumentError } from '@dicer-ts/common';

/** A 1-based position in the parsed text. */
export interface TextprotoPosition {
  /** The line, starting at 1. */
  readonly line: number;
  /** The column (in UTF-16 code units), starting at 1. */
  readonly column: number;
}

/** A bare identifier used as a value: an enum name, `true`/`false`, `inf`, `nan`, … */
export interface TextprotoIdentifier {
  readonly kind: 'identifier';
  /** The identifier exactly as written, without any leading `-`. */
  readonly text: string;
  /** True when the identifier was preceded by `-` (as in `-inf`). */
  readonly negative: boolean;
  readonly position: TextprotoPosition;
}

/** A numeric literal; conversion to a field type happens when the schema is known. */
export interface TextprotoNumber {
  readonly kind: 'number';
  /** The literal exactly as written, without any leading `-` (`0x1F`, `017`, `1.5e3f`). */
  readonly text: string;
  /** True when the literal was preceded by `-`. */
  readonly negative: boolean;
  /** How the literal is written: integers may go to any numeric field, floats only to float fields. */
  readonly form: 'decimal' | 'hex' | 'octal' | 'float';
  readonly position: TextprotoPosition;
}

/** A quoted string (adjacent quoted strings are concatenated), as the bytes it denotes. */
export interface TextprotoString {
  readonly kind: 'string';
  readonly bytes: Uint8Array;
  readonly position: TextprotoPosition;
}

/** A nested message, written `{ … }` or `< … >`. */
export interface TextprotoMessageValue {
  readonly kind: 'message';
  readonly message: TextprotoMessage;
  readonly position: TextprotoPosition;
}

/** Any value a field may carry. */
export type TextprotoValue = TextprotoIdentifier | TextprotoNumber | TextprotoString | TextprotoMessageValue;

/** One occurrence of a field; a repeated field (or a list `[a, b]`) yields one occurrence per element. */
export interface TextprotoField {
  /** The field name as written (the proto field name, e.g. `max_load_hint`). */
  readonly name: string;
  /** Where the field name starts. */
  readonly position: TextprotoPosition;
  readonly value: TextprotoValue;
  /** True when the occurrence came from the list shorthand `name: [ … ]`. */
  readonly fromList: boolean;
}

/** A parsed message: its field occurrences in the order they appear in the text. */
export interface TextprotoMessage {
  readonly fields: readonly TextprotoField[];
}

type TokenKind = 'identifier' | 'number' | 'string' | 'symbol' | 'eof';

interface Token {
  readonly kind: TokenKind;
  /** For strings, the decoded bytes; for the others, the source text. */
  readonly text: string;
  readonly bytes?: Uint8Array;
  readonly form?: TextprotoNumber['form'];
  readonly position: TextprotoPosition;
}

const IDENTIFIER_START = /[A-Za-z_]/;
const IDENTIFIER_PART = /[A-Za-z0-9_]/;
const NUMBER_LITERAL = /0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[fF]?/y;
const SYMBOLS = new Set(['{', '}', '<', '>', '[', ']', ':', ',', ';', '-', '/', '.']);
const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  '?': 0x3f,
};

/** Splits text-format source into tokens, tracking line and column, and failing on anything stray. */
class Tokenizer {
  private offset = 0;
  private line = 1;
  private column = 1;
  private peeked: Token | undefined;

  constructor(
    private readonly text: string,
    private readonly sourceName: string,
  ) {}

  peek(): Token {
    this.peeked ??= this.read();
    return this.peeked;
  }

  next(): Token {
    const token = this.peek();
    this.peeked = undefined;
    return token;
  }

  fail(position: TextprotoPosition, message: string): never {
    throw new InvalidArgumentError(`${this.sourceName}:${position.line}:${position.column}: ${message}`);
  }

  private advance(count: number): void {
    for (let i = 0; i < count; i++) {
      if (this.text[this.offset] === '\n') {
        this.line++;
        this.column = 1;
      } else {
        this.column++;
      }
      this.offset++;
    }
  }

  private skipSpaceAndComments(): void {
    for (;;) {
      const c = this.text[this.offset];
      if (c === undefined) return;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
        this.advance(1);
      } else if (c === '#') {
        while (this.offset < this.text.length && this.text[this.offset] !== '\n') this.advance(1);
      } else {
        return;
      }
    }
  }

  private read(): Token {
    this.skipSpaceAndComments();
    const position = { line: this.line, column: this.column };
    const c = this.text[this.offset];
    if (c === undefined) return { kind: 'eof', text: '', position };
    if (IDENTIFIER_START.test(c)) {
      let end = this.offset + 1;
      while (end < this.text.length && IDENTIFIER_PART.test(this.text[end]!)) end++;
      const text = this.text.slice(this.offset, end);
      this.advance(end - this.offset);
      return { kind: 'identifier', text, position };
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(this.text[this.offset + 1] ?? ''))) {
      return this.readNumber(position);
    }
    if (c === '"' || c === "'") return this.readStrings(position);
    if (SYMBOLS.has(c)) {
      this.advance(1);
      return { kind: 'symbol', text: c, position };
    }
    return this.fail(position, `unexpected character ${JSON.stringify(c)}`);
  }

  private readNumber(position: TextprotoPosition): Token {
    NUMBER_LITERAL.lastIndex = this.offset;
    const match = NUMBER_LITERAL.exec(this.text);
    const text = match![0];
    const after = this.text[this.offset + text.length];
    if (after !== undefined && (IDENTIFIER_PART.test(after) || after === '.')) {
      let end = this.offset + text.length;
      while (end < this.text.length && /[A-Za-z0-9_.]/.test(this.text[end]!)) end++;
      this.fail(position, `invalid number ${JSON.stringify(this.text.slice(this.offset, end))}`);
    }
    let form: TextprotoNumber['form'];
    if (/^0[xX]/.test(text)) {
      form = 'hex';
    } else if (/[.eEfF]/.test(text)) {
      form = 'float';
    } else if (text.length > 1 && text.startsWith('0')) {
      if (!/^[0-7]+$/.test(text)) this.fail(position, `invalid octal number ${JSON.stringify(text)}`);
      form = 'octal';
    } else {
      form = 'decimal';
    }
    this.advance(text.length);
    return { kind: 'number', text, form, position };
  }

  /** Reads one or more adjacent quoted strings into one byte string. */
  private readStrings(position: TextprotoPosition): Token {
    const bytes: number[] = [];
    let raw = '';
    for (;;) {
      const start = this.offset;
      this.readOneString(bytes);
      raw += this.text.slice(start, this.offset);
      this.skipSpaceAndComments();
      const c = this.text[this.offset];
      if (c !== '"' && c !== "'") break;
    }
    return { kind: 'string', text: raw, bytes: Uint8Array.from(bytes), position };
  }

  private readOneString(out: number[]): void {
    const quote = this.text[this.offset]!;
    const start = { line: this.line, column: this.column };
    this.advance(1);
    const encoder = new TextEncoder();
    for (;;) {
      const c = this.text[this.offset];
      if (c === undefined || c === '\n') this.fail(start, 'unterminated string');
      if (c === quote) {
        this.advance(1);
        return;
      }
      if (c !== '\\') {
        const cp = this.text.codePointAt(this.offset)!;
        const ch = String.fromCodePoint(cp);
        out.push(...encoder.encode(ch));
        this.advance(ch.length);
        continue;
      }
      const escapePosition = { line: this.line, column: this.column };
      const e = this.text[this.offset + 1];
      if (e === undefined) this.fail(start, 'unterminated string');
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out.push(simple);
        this.advance(2);
      } else if (/[0-7]/.test(e)) {
        const digits = /^[0-7]{1,3}/.exec(this.text.slice(this.offset + 1, this.offset + 4))![0];
        const value = parseInt(digits, 8);
        if (value > 0xff) this.fail(escapePosition, `octal escape out of range "\\${digits}"`);
        out.push(value);
        this.advance(1 + digits.length);
      } else if (e === 'x' || e === 'X') {
        const digits = /^[0-9a-fA-F]{1,2}/.exec(this.text.slice(this.offset + 2, this.offset + 4))?.[0];
        if (digits === undefined) this.fail(escapePosition, 'invalid hex escape "\\x"');
        out.push(parseInt(digits, 16));
        this.advance(2 + digits.length);
      } else if (e === 'u' || e === 'U') {
        const width = e === 'u' ? 4 : 8;
        const digits = this.text.slice(this.offset + 2, this.offset + 2 + width);
        if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(digits)) {
          this.fail(escapePosition, `invalid unicode escape "\\${e}${digits}"`);
        }
        const cp = parseInt(digits, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          this.fail(escapePosition, `invalid unicode escape "\\${e}${digits}"`);
        }
        out.push(...encoder.encode(String.fromCodePoint(cp)));
        this.advance(2 + width);
      } else {
        this.fail(escapePosition, `invalid escape "\\${e}"`);
      }
    }
  }
}

/** Recursive-descent parser over the tokens; one instance per parse. */
class Parser {
  private readonly tokens: Tokenizer;

  constructor(text: string, sourceName: string) {
    this.tokens = new Tokenizer(text, sourceName);
  }

  parseDocument(): TextprotoMessage {
    const message = this.parseFields(undefined);
    const end = this.tokens.next();
    if (end.kind !== 'eof') this.tokens.fail(end.position, `unexpected ${describe(end)}`);
    return message;
  }

  /** Parses fields until the closing delimiter (not consumed) or, at top level, the end. */
  private parseFields(closing: '}' | '>' | undefined): TextprotoMessage {
    const fields: TextprotoField[] = [];
    for (;;) {
      const token = this.tokens.peek();
      if (token.kind === 'eof') {
        if (closing !== undefined) this.tokens.fail(token.position, `expected "${closing}" but reached the end`);
        return { fields };
      }
      if (token.kind === 'symbol' && (token.text === '}' || token.text === '>')) {
        if (token.text !== closing) this.tokens.fail(token.position, `unexpected "${token.text}"`);
        return { fields };
      }
      this.parseField(fields);
      const separator = this.tokens.peek();
      if (separator.kind === 'symbol' && (separator.text === ',' || separator.text === ';')) this.tokens.next();
    }
  }

  private parseField(out: TextprotoField[]): void {
    const nameToken = this.tokens.next();
    if (nameToken.kind === 'symbol' && nameToken.text === '[') {
      this.tokens.fail(nameToken.position, 'extension and Any fields ("[…]") are not supported');
    }
    if (nameToken.kind !== 'identifier') {
      this.tokens.fail(nameToken.position, `expected a field name but found ${describe(nameToken)}`);
    }
    const name = nameToken.text;
    const position = nameToken.position;
    let hasColon = false;
    if (this.isSymbol(':')) {
      this.tokens.next();
      hasColon = true;
    }
    if (this.isSymbol('[')) {
      const open = this.tokens.next();
      if (this.isSymbol(']')) {
        this.tokens.next();
        return;
      }
      for (;;) {
        const element = this.peekIsMessageStart() ? this.parseMessageValue() : this.parseScalar(name, hasColon, open.position);
        out.push({ name, position, value: element, fromList: true });
        const t = this.tokens.next();
        if (t.kind === 'symbol' && t.text === ']') return;
        if (!(t.kind === 'symbol' && t.text === ',')) this.tokens.fail(t.position, `expected "," or "]" but found ${describe(t)}`);
      }
    }
    if (this.peekIsMessageStart()) {
      out.push({ name, position, value: this.parseMessageValue(), fromList: false });
      return;
    }
    if (!hasColon) {
      const t = this.tokens.peek();
      this.tokens.fail(t.position, `expected ":" after field name "${name}" but found ${describe(t)}`);
    }
    out.push({ name, position, value: this.parseScalar(name, true, position), fromList: false });
  }

  private parseScalar(name: string, hasColon: boolean, at: TextprotoPosition): TextprotoValue {
    if (!hasColon) this.tokens.fail(at, `expected ":" before the scalar value of field "${name}"`);
    const first = this.tokens.next();
    let negative = false;
    let token = first;
    if (first.kind === 'symbol' && first.text === '-') {
      negative = true;
      token = this.tokens.next();
    }
    switch (token.kind) {
      case 'identifier':
        return { kind: 'identifier', text: token.text, negative, position: first.position };
      case 'number':
        return { kind: 'number', text: token.text, negative, form: token.form!, position: first.position };
      case 'string':
        if (negative) this.tokens.fail(token.position, 'a string cannot be negated');
        return { kind: 'string', bytes: token.bytes!, position: first.position };
      default:
        return this.tokens.fail(token.position, `expected a value for field "${name}" but found ${describe(token)}`);
    }
  }

  private parseMessageValue(): TextprotoMessageValue {
    const open = this.tokens.next();
    const closing = open.text === '{' ? '}' : '>';
    const message = this.parseFields(closing);
    this.tokens.next();
    return { kind: 'message', message, position: open.position };
  }

  private peekIsMessageStart(): boolean {
    return this.isSymbol('{') || this.isSymbol('<');
  }

  private isSymbol(symbol: string): boolean {
    const t = this.tokens.peek();
    return t.kind === 'symbol' && t.text === symbol;
  }
}

function describe(token: Token): string {
  switch (token.kind) {
    case 'eof':
      return 'the end of the input';
    case 'string':
      return `string ${token.text}`;
    default:
      return `"${token.text}"`;
  }
}

/**
 * Parses protobuf text format into a schema-less tree of field occurrences.
 *
 * @param text the file contents
 * @param sourceName the file name used in error messages (`demo.textproto:3:7: …`)
 * @throws {InvalidArgumentError} on any syntax error; the message starts with
 *   `<sourceName>:<line>:<column>: `.
 */
export function parseTextproto(text: string, sourceName = '<text>'): TextprotoMessage {
  return new Parser(text, sourceName).parseDocument();
}
