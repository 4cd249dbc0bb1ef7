import assert from 'node:assert/strict';
import { InvalidArgumentError } from '@dicer-ts/common';
import { clusterUriFromLocation, helpText, parseCommandLine } from '../../src/cli/command-line.js';

describe('parseCommandLine', () => {
  it('returns help for --help', () => {
    assert.deepEqual(parseCommandLine(['--help'], {}), { kind: 'help' });
  });

  it('applies no options of its own when nothing is given (the Assigner defaults apply)', () => {
    const command = parseCommandLine([], {});
    assert.equal(command.kind, 'run');
    if (command.kind !== 'run') return;
    assert.equal(command.options.port, undefined);
    assert.equal(command.options.store, 'memory');
    assert.equal(command.logLevel, 'info');
  });

  it('reads flags', () => {
    const command = parseCommandLine(
      ['--port', '25000', '--config-dir', '/etc/dicer', '--debug-port', 'disabled', '--store-incarnation', '3', '--log-level', 'warn'],
      {},
    );
    assert.equal(command.kind, 'run');
    if (command.kind !== 'run') return;
    assert.equal(command.options.port, 25000);
    assert.equal(command.options.targetConfigDirectory, '/etc/dicer');
    assert.equal(command.options.debugPort, 'disabled');
    assert.equal(command.options.storeIncarnation, 3n);
    assert.equal(command.logLevel, 'warn');
  });

  it('reads environment variables, and a flag wins over its variable', () => {
    const command = parseCommandLine(['--port', '1'], { DICER_ASSIGNER_PORT: '2', DICER_TARGET_CONFIG_DIR: '/cfg', DICER_DEBUG_PORT: '0' });
    assert.equal(command.kind, 'run');
    if (command.kind !== 'run') return;
    assert.equal(command.options.port, 1);
    assert.equal(command.options.targetConfigDirectory, '/cfg');
    assert.equal(command.options.debugPort, 0);
  });

  it('rejects an unknown flag', () => {
    assert.throws(() => parseCommandLine(['--nope'], {}), InvalidArgumentError);
  });

  it('rejects a bad port naming the flag', () => {
    assert.throws(() => parseCommandLine(['--port', 'abc'], {}), /--port must be an integer, got "abc"/);
    assert.throws(() => parseCommandLine(['--port', '70000'], {}), /--port must be from 0 to 65535, got 70000/);
  });

  it('needs an even incarnation and endpoints for the etcd store (#5)', () => {
    assert.throws(() => parseCommandLine(['--store', 'etcd'], {}), /--store etcd needs --store-incarnation/);
    assert.throws(() => parseCommandLine(['--store', 'etcd', '--store-incarnation', '3'], {}), /must be even and positive/);
    assert.throws(() => parseCommandLine(['--store', 'etcd', '--store-incarnation', '2'], {}), /--etcd-endpoints is required/);
    assert.throws(() => parseCommandLine(['--preferred-assigner', 'enabled'], {}), /needs --store etcd/);
    const cmd = parseCommandLine(
      ['--store', 'etcd', '--store-incarnation', '2', '--etcd-endpoints', 'http://127.0.0.1:2379', '--preferred-assigner', 'enabled'],
      { POD_IP: '10.0.0.7', POD_UID: '123e4567-e89b-42d3-a456-426614174000' },
    );
    assert.equal(cmd.kind, 'run');
    const etcd = (cmd as { etcd?: { storeIncarnation: bigint; preferredAssigner?: { self: { uri: string } } } }).etcd;
    assert.equal(etcd?.storeIncarnation, 2n);
    assert.equal(etcd?.preferredAssigner?.self.uri, 'https://10.0.0.7:24500');
  });

  it('reads the timing flags and their variables onto the Assigner options', () => {
    const command = parseCommandLine(
      ['--suggested-watch-timeout-ms', '1500', '--load-balancing-interval-ms', '2000', '--unhealthy-timeout-ms', '3000', '--min-generation-interval-ms', '0'],
      { DICER_STATE_TRANSFER_TIMEOUT_MS: '4000', DICER_LOAD_BALANCING_INTERVAL_MS: '9' },
    );
    assert.equal(command.kind, 'run');
    if (command.kind !== 'run') return;
    assert.equal(command.options.sliceletSuggestedRpcTimeoutMs, 1500);
    assert.equal(command.options.clerkSuggestedRpcTimeoutMs, 1500);
    assert.equal(command.options.loadBalancingIntervalMs, 2000);
    assert.equal(command.options.unhealthyTimeoutMs, 3000);
    assert.equal(command.options.minGenerationIntervalMs, 0);
    assert.equal(command.options.stateTransferTimeoutMs, 4000);
    const fromEnv = parseCommandLine([], { DICER_SUGGESTED_WATCH_TIMEOUT_MS: '2500', DICER_UNHEALTHY_TIMEOUT_MS: '100', DICER_MIN_GENERATION_INTERVAL_MS: '7' });
    assert.equal(fromEnv.kind === 'run' && fromEnv.options.sliceletSuggestedRpcTimeoutMs, 2500);
    assert.equal(fromEnv.kind === 'run' && fromEnv.options.unhealthyTimeoutMs, 100);
    assert.equal(fromEnv.kind === 'run' && fromEnv.options.minGenerationIntervalMs, 7);
  });

  it('leaves the timing options unset when no flag or variable gives them', () => {
    const command = parseCommandLine([], {});
    assert.equal(command.kind, 'run');
    if (command.kind !== 'run') return;
    for (const key of ['sliceletSuggestedRpcTimeoutMs', 'clerkSuggestedRpcTimeoutMs', 'loadBalancingIntervalMs', 'stateTransferTimeoutMs'] as const) {
      assert.equal(key in command.options, false, key);
    }
  });

  it('rejects bad timing values naming the flag', () => {
    assert.throws(() => parseCommandLine(['--suggested-watch-timeout-ms', '999'], {}), /--suggested-watch-timeout-ms must be from 1000 to 86400000, got 999/);
    assert.throws(() => parseCommandLine(['--load-balancing-interval-ms', '0'], {}), /--load-balancing-interval-ms must be from 1 to 86400000, got 0/);
    assert.throws(() => parseCommandLine(['--state-transfer-timeout-ms', '0'], {}), /--state-transfer-timeout-ms must be from 1 to/);
    assert.throws(() => parseCommandLine(['--unhealthy-timeout-ms=-5'], {}), /--unhealthy-timeout-ms must be from 0 to/);
    assert.throws(() => parseCommandLine([], { DICER_MIN_GENERATION_INTERVAL_MS: '1.5' }), /--min-generation-interval-ms must be an integer, got "1.5"/);
    assert.throws(() => parseCommandLine([], { DICER_STATE_TRANSFER_TIMEOUT_MS: 'soon' }), InvalidArgumentError);
  });

  it('needs --tls-cert and --tls-key together', () => {
    assert.throws(() => parseCommandLine(['--tls-cert', '/x.pem'], {}), /--tls-cert and --tls-key must be given together/);
  });

  it('takes the cluster URI from LOCATION as Dicer does', () => {
    const uri = 'kubernetes-cluster:test-env1/cloud-provider1/domain1/region1/cluster-type1/01';
    const command = parseCommandLine([], { LOCATION: JSON.stringify({ kubernetes_cluster_uri: uri }) });
    assert.equal(command.kind === 'run' && command.options.clusterUri, uri);
  });
});

describe('clusterUriFromLocation', () => {
  it('treats a value with an unknown field as absent', () => {
    assert.equal(clusterUriFromLocation(JSON.stringify({ kubernetes_cluster_uri: 'x', other: 1 })), undefined);
  });

  it('treats bad JSON as absent', () => {
    assert.equal(clusterUriFromLocation('{'), undefined);
  });
});

describe('helpText', () => {
  it('lists every flag with its environment variable', () => {
    const text = helpText();
    for (const flag of ['--port', '--config-dir', '--store', '--debug-port', '--tls-cert', '--tls-client-ca']) assert.ok(text.includes(flag), flag);
    assert.ok(text.includes('[DICER_ASSIGNER_PORT]'));
  });
});
