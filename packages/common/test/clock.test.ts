import { strict as assert } from 'node:assert';
import { ManualClock, MAX_TIMER_DELAY_MS, SYSTEM_CLOCK } from '../src/clock.js';

describe('ManualClock', () => {
  it('fires due timers in order of due time, then of creation, while advancing', () => {
    const clock = new ManualClock(1000);
    const fired: string[] = [];
    clock.setTimer(20, () => fired.push(`b@${clock.nowMs()}`));
    clock.setTimer(10, () => fired.push(`a@${clock.nowMs()}`));
    clock.setTimer(20, () => fired.push(`c@${clock.nowMs()}`));
    clock.setTimer(30, () => fired.push(`d@${clock.nowMs()}`));
    clock.advance(25);
    assert.deepEqual(fired, ['a@1010', 'b@1020', 'c@1020']);
    assert.equal(clock.nowMs(), 1025);
    assert.equal(clock.pendingTimers, 1);
  });

  it('does not fire a cancelled timer and fires timers armed by a callback when they fall due', () => {
    const clock = new ManualClock();
    const fired: number[] = [];
    const cancel = clock.setTimer(5, () => fired.push(-1));
    clock.setTimer(5, () => clock.setTimer(5, () => fired.push(clock.nowMs())));
    cancel();
    clock.advance(20);
    assert.deepEqual(fired, [10]);
  });

  it('rejects a negative advance', () => {
    assert.throws(() => new ManualClock().advance(-1), RangeError);
  });
});

describe('SYSTEM_CLOCK', () => {
  it('does not fire a timer longer than Node can hold early (it re-arms instead)', async () => {
    let fired = false;
    const cancel = SYSTEM_CLOCK.setTimer(MAX_TIMER_DELAY_MS * 2, () => {
      fired = true;
    });
    // Node turns an overlong delay into 1 ms; give such a timer ample time to (wrongly) fire.
    await new Promise((resolve) => setTimeout(resolve, 30));
    cancel();
    assert.equal(fired, false);
  });

  it('fires a short timer', async () => {
    await new Promise<void>((resolve) => SYSTEM_CLOCK.setTimer(1, resolve));
  });
});
