import assert from 'node:assert/strict';
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
