import assert from 'node:assert/strict';
import { InvalidArgumentError, SliceKey } from '@dicer-ts/common';
import { TraceWorkload, parseTrace } from '../../src/workloads/trace-workload.js';

describe('parseTrace', () => {
  it('reads timeMs,key,cost lines, skipping the header, comments and blanks', () => {
    const t = parseTrace('timeMs,key,cost\n# comment\n0,alpha,2\n\n1500,beta\n');
    assert.deepEqual(t, [
      { timeMs: 0, key: 'alpha', cost: 2 },
      { timeMs: 1500, key: 'beta', cost: 1 },
    ]);
  });

  it('names the malformed line', () => {
    assert.throws(() => parseTrace('0,a,1\nx,b,1\n'), (e: unknown) => e instanceof InvalidArgumentError && /line 2/.test(e.message));
  });
});

describe('TraceWorkload', () => {
  it('replays each request in the tick that contains it, keys placed by FarmHash', () => {
    const w = new TraceWorkload(parseTrace('2500,b,3\n0,a,1\n999,a,1\n1000,c,1\n'));
    const got: [string, number][][] = [];
    for (let t = 0; t < 3000; t += 1000) {
      const tick: [string, number][] = [];
      w.requestsIn(t, 1000, (k, c) => tick.push([w.keySpace.nameOf(k), c]));
      got.push(tick);
    }
    assert.deepEqual(got, [[['a', 1], ['a', 1]], [['c', 1]], [['b', 3]]]);
    assert.ok(w.keySpace.sliceKey(0).equals(SliceKey.fromApplicationKey('a')));
    assert.deepEqual([...w.keyShares()], [2 / 6, 1 / 6, 3 / 6]); // ids in order of first appearance: a, c, b
  });
});
