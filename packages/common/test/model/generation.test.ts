import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { Generation } from '../../src/model/generation.js';

describe('Generation', () => {
  describe('createForCurrentTime', () => {
    it('uses the clock when it is ahead of the lower bound', () => {
      const g = Generation.createForCurrentTime(2n, 1000, Generation.create(2n, 500n));
      assert.ok(g.equals(Generation.create(2n, 1000n)));
    });

    it('goes one past the lower bound when the clock is not ahead in the same incarnation', () => {
      const g = Generation.createForCurrentTime(2n, 400, Generation.create(2n, 500n));
      assert.ok(g.equals(Generation.create(2n, 501n)));
    });

    it('uses the clock in a higher incarnation whatever the lower bound', () => {
      const g = Generation.createForCurrentTime(4n, 10, Generation.create(2n, 500n));
      assert.ok(g.equals(Generation.create(4n, 10n)));
    });

    it('rejects a lower bound in a higher incarnation', () => {
      assert.throws(() => Generation.createForCurrentTime(2n, 10, Generation.create(4n, 1n)), /requirement failed/);
    });
  });

  describe('toString', () => {
    it('prints milliseconds and large numbers as Java Instant does', () => {
      assert.equal(Generation.create(42n, 42n).toString(), '42#42 (1970-01-01T00:00:00.042Z)');
      assert.equal(
        Generation.create(0n, 9223372036854775807n).toString(),
        '0#9223372036854775807 (+292278994-08-17T07:12:55.807Z)',
      );
    });
  });

  it('prefixes validation errors like Scala require', () => {
    assert.throws(() => Generation.create(-1n, 0n), { message: 'requirement failed: Incarnation number must be non-negative' });
  });
});
