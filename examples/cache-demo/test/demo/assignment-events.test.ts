import { strict as assert } from 'node:assert';
import { type DebugJsonSlice, describeChanges, diffAssignments } from '../../src/index.js';

function slice(low: string, high: string, start: number, end: number, resources: string[], load = 0): DebugJsonSlice {
  return { slice: `[${low} .. ${high})`, start, end, resources, load };
}

const A = 'https://127.0.0.1:1';
const B = 'https://127.0.0.1:2';
const C = 'https://127.0.0.1:3';

describe('diffAssignments', () => {
  const before = [slice('', '0x80', 0, 0.5, [A], 30), slice('0x80', '∞', 0.5, 1, [B], 10)];

  it('reports nothing for the same assignment', () => {
    const changes = diffAssignments(before, before);
    assert.deepEqual(changes, { splits: 0, merges: 0, replicated: [], dereplicated: 0, movedFraction: 0, movedLoadFraction: 0 });
    assert.equal(describeChanges(changes), undefined);
  });

  it('counts a split and the key space and load that moved', () => {
    const after = [slice('', '0x40', 0, 0.25, [A]), slice('0x40', '0x80', 0.25, 0.5, [C]), slice('0x80', '∞', 0.5, 1, [B])];
    const changes = diffAssignments(before, after);
    assert.equal(changes.splits, 1);
    assert.equal(changes.merges, 0);
    assert.equal(changes.movedFraction, 0.25);
    assert.equal(changes.movedLoadFraction, 15 / 40);
    assert.equal(describeChanges(changes), 'split ×1, move 25.0% of keys');
  });

  it('counts a merge', () => {
    const after = [slice('', '∞', 0, 1, [A])];
    const changes = diffAssignments(before, after);
    assert.equal(changes.merges, 1);
    assert.equal(changes.movedFraction, 0.5);
  });

  it('sees a single-key slice replicated, and its load moved when it changes pods', () => {
    const key = 0.3;
    const withHot = [
      slice('', 'k', 0, key, [A], 10),
      slice('k', 'k\\0', key, key, [A], 20),
      slice('k\\0', '∞', key, 1, [B], 10),
    ];
    const replicated = [slice('', 'k', 0, key, [A]), slice('k', 'k\\0', key, key, [A, C]), slice('k\\0', '∞', key, 1, [B])];
    const changes = diffAssignments(withHot, replicated);
    assert.deepEqual(changes.replicated.map((s) => s.slice), ['[k .. k\\0)']);
    assert.equal(changes.movedFraction, 0);
    const moved = [slice('', 'k', 0, key, [A]), slice('k', 'k\\0', key, key, [C]), slice('k\\0', '∞', key, 1, [B])];
    assert.equal(diffAssignments(withHot, moved).movedLoadFraction, 0.5);
  });
});
