import { strict as assert } from 'node:assert';
import { InvalidArgumentError } from '@dicer-ts/common';
import { demoHelpText, parseDemoCommandLine } from '../../src/index.js';

describe('parseDemoCommandLine', () => {
  it("gives the demo's defaults without flags", () => {
    assert.deepEqual(parseDemoCommandLine([]), {
      kind: 'run',
      options: {
        durationMs: undefined,
        hotKey: false,
        rollingRestart: false,
        etcd: false,
        servers: 4,
        rate: 500,
        keys: 10_000,
        zipf: 0.8,
        debugPort: 7777,
        logDir: undefined,
        plain: false,
      },
    });
  });

  it('reads every flag', () => {
    const command = parseDemoCommandLine(['--duration', '30', '--hot-key', '--rolling-restart', '--etcd', '--servers=6', '--rate', '100', '--keys', '50', '--zipf', '1.2', '--debug-port', '0', '--log-dir', '/tmp/x', '--plain']);
    assert.equal(command.kind, 'run');
    if (command.kind !== 'run') return;
    assert.deepEqual(command.options, {
      durationMs: 30_000,
      hotKey: true,
      rollingRestart: true,
      etcd: true,
      servers: 6,
      rate: 100,
      keys: 50,
      zipf: 1.2,
      debugPort: 0,
      logDir: '/tmp/x',
      plain: true,
    });
  });

  it('answers --help', () => {
    assert.deepEqual(parseDemoCommandLine(['--help']), { kind: 'help' });
    assert.match(demoHelpText(), /--rolling-restart/);
  });

  it('rejects an unknown flag and a bad value, naming the flag', () => {
    assert.throws(() => parseDemoCommandLine(['--bogus']), InvalidArgumentError);
    assert.throws(() => parseDemoCommandLine(['--servers', 'many']), /--servers must be a number from 1 to 32/);
    assert.throws(() => parseDemoCommandLine(['--duration', '0']), /--duration/);
  });
});
