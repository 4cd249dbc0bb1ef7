import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgumentError } from '@dicer-ts/common';
import { parseTextproto, type TextprotoMessage, type TextprotoValue } from '../../src/core/textproto.js';

function only(message: TextprotoMessage, name: string): TextprotoValue {
  const found = message.fields.filter((f) => f.name === name);
  assert.equal(found.length, 1, `exactly one ${name}`);
  return found[0]!.value;
}

function bytesOf(value: TextprotoValue): string {
  assert.equal(value.kind, 'string');
  return Buffer.from(value.kind === 'string' ? value.bytes : []).toString('latin1');
}

function parseError(text: string): string {
  try {
    parseTextproto(text, 'f.textproto');
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError);
    return err.message;
  }
  assert.fail('expected a parse error');
}

describe('parseTextproto', () => {
  it('parses scalars, nested messages in both delimiters, comments and separators', () => {
    const tree = parseTextproto(
      [
        '# a comment',
        'name: "demo"  # trailing comment',
        'a { b: 1; c: TIGHT, }',
        'd < e: -2.5e3 >',
        'f: { g: true }',
      ].join('\n'),
    );
    assert.deepEqual(
      tree.fields.map((f) => [f.name, f.position.line, f.position.column]),
      [
        ['name', 2, 1],
        ['a', 3, 1],
        ['d', 4, 1],
        ['f', 5, 1],
      ],
    );
    assert.equal(bytesOf(only(tree, 'name')), 'demo');
    const a = only(tree, 'a');
    assert.equal(a.kind, 'message');
    if (a.kind !== 'message') return;
    assert.deepEqual(only(a.message, 'b'), { kind: 'number', text: '1', negative: false, form: 'decimal', position: { line: 3, column: 8 } });
    assert.deepEqual(only(a.message, 'c'), { kind: 'identifier', text: 'TIGHT', negative: false, position: { line: 3, column: 14 } });
    const d = only(tree, 'd');
    assert.equal(d.kind === 'message' && only(d.message, 'e').kind, 'number');
    if (d.kind === 'message') {
      const e = only(d.message, 'e');
      assert.ok(e.kind === 'number' && e.negative && e.text === '2.5e3' && e.form === 'float');
    }
  });

  it('classifies hex, octal, decimal and float literals', () => {
    const tree = parseTextproto('a: 0x1F b: 017 c: 0 d: 12 e: 1.5f f: .5 g: 1e3 h: -inf');
    const forms = tree.fields.map((f) => (f.value.kind === 'number' ? f.value.form : f.value.kind));
    assert.deepEqual(forms, ['hex', 'octal', 'decimal', 'decimal', 'float', 'float', 'float', 'identifier']);
  });

  it('expands repeated fields and the list shorthand in order', () => {
    const tree = parseTextproto('x: 1 x: [2, 3] y [{ z: 1 }, < z: 2 >] w: []');
    assert.deepEqual(
      tree.fields.map((f) => [f.name, f.fromList]),
      [
        ['x', false],
        ['x', true],
        ['x', true],
        ['y', true],
        ['y', true],
      ],
    );
  });

  it('reads lists of messages with comments, nan, inf and negative floats, as Dicer\'s data files use them', () => {
    const tree = parseTextproto(
      [
        '# proto-message: SomeTestDataP',
        'cases: [',
        '  {',
        '    name: "first"',
        '    value: nan',
        '    inner: { low: "aaa"  # a comment inside a message',
        '             high: "zzz" }',
        '  },',
        '  # a comment between elements',
        '  {',
        '    value: -1.0',
        '    other: inf',
        '  }',
        ']',
        'single: {',
        '  # only a comment',
        '}',
      ].join('\n'),
    );
    assert.deepEqual(
      tree.fields.map((f) => [f.name, f.fromList, f.value.kind, f.value.position.line]),
      [
        ['cases', true, 'message', 3],
        ['cases', true, 'message', 10],
        ['single', false, 'message', 15],
      ],
    );
    const second = tree.fields[1]!.value;
    assert.ok(second.kind === 'message');
    assert.deepEqual(
      second.message.fields.map((f) => [f.name, f.value.kind === 'number' || f.value.kind === 'identifier' ? `${f.value.negative ? '-' : ''}${f.value.text}` : '']),
      [
        ['value', '-1.0'],
        ['other', 'inf'],
      ],
    );
  });

  it('decodes string escapes and concatenates adjacent strings', () => {
    const tree = parseTextproto(String.raw`s: "a\n\t\\\"\'\x41\101\u00e9" 'b' "c"`);
    assert.equal(bytesOf(only(tree, 's')), 'a\n\t\\"\'AA\u00c3\u00a9bc');
  });

  it('reports syntax errors with line and column', () => {
    assert.equal(parseError('a {\n  b: 1\n'), 'f.textproto:3:1: expected "}" but reached the end');
    assert.equal(parseError('a: 1\nb 2'), 'f.textproto:2:3: expected ":" after field name "b" but found "2"');
    assert.equal(parseError('a: "unterminated\n"'), 'f.textproto:1:4: unterminated string');
    assert.equal(parseError('a: 08'), 'f.textproto:1:4: invalid octal number "08"');
    assert.equal(parseError('a: 12abc'), 'f.textproto:1:4: invalid number "12abc"');
    assert.equal(parseError('a: "\\q"'), 'f.textproto:1:5: invalid escape "\\q"');
    assert.equal(parseError('a { b: 1 >'), 'f.textproto:1:10: unexpected ">"');
    assert.equal(parseError('[ext.field]: 1'), 'f.textproto:1:1: extension and Any fields ("[…]") are not supported');
    assert.equal(parseError('a: 1 @'), 'f.textproto:1:6: unexpected character "@"');
    assert.equal(parseError('a: -"x"'), 'f.textproto:1:5: a string cannot be negated');
    assert.equal(parseError('}'), 'f.textproto:1:1: unexpected "}"');
  });
});

describe('parseTextproto invariants', () => {
  type Node =
    | { kind: 'identifier'; text: string }
    | { kind: 'number'; text: string; negative: boolean }
    | { kind: 'string'; bytes: number[]; quote: '"' | "'" }
    | { kind: 'message'; fields: [string, Node][]; angle: boolean };

  const arbName = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
  const arbScalar: fc.Arbitrary<Node> = fc.oneof(
    arbName.map((text): Node => ({ kind: 'identifier', text })),
    fc.tuple(fc.nat(), fc.boolean()).map(([n, negative]): Node => ({ kind: 'number', text: String(n), negative })),
    fc.tuple(fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 12 }), fc.constantFrom<'"' | "'">('"', "'")).map(
      ([bytes, quote]): Node => ({ kind: 'string', bytes, quote }),
    ),
  );
  const { node: arbNode } = fc.letrec<{ node: Node; message: Node }>((tie) => ({
    node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, arbScalar, tie('message')),
    message: fc
      .tuple(fc.array(fc.tuple(arbName, tie('node')), { maxLength: 4 }), fc.boolean())
      .map(([fields, angle]): Node => ({ kind: 'message', fields, angle })),
  }));
  const arbSpace = fc.constantFrom(' ', '\n', '  ', ' # comment\n', '\t');

  function print(fields: [string, Node][], space: () => string): string {
    return fields.map(([name, value]) => `${name}${printValue(value, space)}${space()}`).join('');
  }

  function printValue(node: Node, space: () => string): string {
    switch (node.kind) {
      case 'identifier':
        return `:${space()}${node.text}`;
      case 'number':
        return `:${space()}${node.negative ? '-' : ''}${node.text}`;
      case 'string': {
        const body = node.bytes
          .map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c && b !== 0x22 && b !== 0x27 ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`))
          .join('');
        return `:${space()}${node.quote}${body}${node.quote}`;
      }
      case 'message':
        return `${space()}${node.angle ? '<' : '{'}${space()}${print(node.fields, space)}${node.angle ? '>' : '}'}`;
    }
  }

  function check(expected: [string, Node][], actual: TextprotoMessage): void {
    assert.equal(actual.fields.length, expected.length);
    expected.forEach(([name, node], i) => {
      const field = actual.fields[i]!;
      assert.equal(field.name, name);
      const v = field.value;
      assert.equal(v.kind, node.kind);
      if (node.kind === 'identifier' && v.kind === 'identifier') assert.equal(v.text, node.text);
      if (node.kind === 'number' && v.kind === 'number') assert.deepEqual([v.text, v.negative], [node.text, node.negative]);
      if (node.kind === 'string' && v.kind === 'string') assert.deepEqual([...v.bytes], node.bytes);
      if (node.kind === 'message' && v.kind === 'message') check(node.fields, v.message);
    });
  }

  it('reads back what a printer writes, whatever the spacing and comments', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(arbName, arbNode), { maxLength: 6 }), fc.array(arbSpace, { minLength: 1, maxLength: 20 }), (fields, spaces) => {
        let i = 0;
        const text = print(fields, () => spaces[i++ % spaces.length]!);
        check(fields, parseTextproto(text));
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
