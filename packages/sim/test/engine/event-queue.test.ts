import assert from 'node:assert/strict';
import fc from 'fast-check';
import { EventQueue } from '../../src/engine/event-queue.js';
import { VirtualClock } from '../../src/engine/virtual-clock.js';

describe('EventQueue', () => {
  it('runs events in time order and sets the clock to each event time', () => {
    const q = new EventQueue();
    const seen: [string, number][] = [];
    q.schedule(30, () => seen.push(['c', q.nowMs]));
    q.schedule(10, () => seen.push(['a', q.nowMs]));
    q.schedule(20, () => seen.push(['b', q.nowMs]));
    q.runUntil(100);
    assert.deepEqual(seen, [['a', 10], ['b', 20], ['c', 30]]);
    assert.equal(q.nowMs, 100);
  });

  it('runs events due at the same time in scheduling order', () => {
    const q = new EventQueue();
    const seen: number[] = [];
    for (let i = 0; i < 10; i++) q.schedule(5, () => seen.push(i));
    q.runUntil(5);
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('runs an event scheduled in the past at the current time, after those already due', () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.schedule(10, () => {
      q.schedule(0, () => seen.push(`late@${q.nowMs}`));
      seen.push('first');
    });
    q.schedule(10, () => seen.push('second'));
    q.runUntil(10);
    assert.deepEqual(seen, ['first', 'second', 'late@10']);
  });

  it('leaves events after the end time queued', () => {
    const q = new EventQueue();
    let ran = false;
    q.schedule(50, () => (ran = true));
    q.runUntil(49);
    assert.equal(ran, false);
    assert.equal(q.size, 1);
    assert.equal(q.peekTimeMs(), 50);
    q.runUntil(50);
    assert.equal(ran, true);
  });

  it('rejects a non-finite time', () => {
    assert.throws(() => new EventQueue().schedule(Number.NaN, () => {}), /finite/);
  });
});

describe('EventQueue invariants', () => {
  it('runs any set of events sorted by (time, insertion order)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (times) => {
        const q = new EventQueue();
        const seen: number[] = [];
        times.forEach((t, i) => q.schedule(t, () => seen.push(i)));
        q.runUntil(100);
        const expected = times.map((t, i) => ({ t, i })).sort((a, b) => a.t - b.t || a.i - b.i).map((x) => x.i);
        assert.deepEqual(seen, expected);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});

describe('VirtualClock', () => {
  it('reads the queue time and fires timers in virtual time, unless cancelled', () => {
    const q = new EventQueue(1000);
    const clock = new VirtualClock(q);
    const fired: number[] = [];
    clock.setTimer(500, () => fired.push(clock.nowMs()));
    const cancel = clock.setTimer(200, () => fired.push(-1));
    cancel();
    assert.equal(clock.nowMs(), 1000);
    q.runUntil(2000);
    assert.deepEqual(fired, [1500]);
  });
});
