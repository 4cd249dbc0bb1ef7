import { strict as assert } from 'node:assert';
import { parseProcessMessage, parseWorkloadCommand } from '../src/process-messages.js';

describe('parseProcessMessage', () => {
  it('reads ready and stats lines', () => {
    assert.deepEqual(parseProcessMessage('{"kind":"ready","role":"assigner","pid":1,"port":2,"debugPort":3}'), {
      kind: 'ready',
      role: 'assigner',
      pid: 1,
      port: 2,
      debugPort: 3,
    });
    assert.equal(parseProcessMessage('{"kind":"stats","role":"cache-server","requests":4}')?.kind, 'stats');
  });

  it('ignores stray output and other JSON', () => {
    assert.equal(parseProcessMessage('Debugger attached.'), undefined);
    assert.equal(parseProcessMessage('{"level":30,"msg":"hello"}'), undefined);
    assert.equal(parseProcessMessage('{not json'), undefined);
  });
});

describe('parseWorkloadCommand', () => {
  it('reads hot key and rate changes', () => {
    assert.deepEqual(parseWorkloadCommand('{"kind":"workload","hotKey":true}'), { kind: 'workload', hotKey: true });
    assert.deepEqual(parseWorkloadCommand('{"kind":"workload","rate":100}'), { kind: 'workload', rate: 100 });
  });

  it('rejects badly typed fields and other kinds', () => {
    assert.equal(parseWorkloadCommand('{"kind":"workload","hotKey":"yes"}'), undefined);
    assert.equal(parseWorkloadCommand('{"kind":"workload","rate":-1}'), undefined);
    assert.equal(parseWorkloadCommand('{"kind":"other"}'), undefined);
    assert.equal(parseWorkloadCommand('nope'), undefined);
  });
});
