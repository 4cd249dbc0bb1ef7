import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidArgumentError, proto } from '@dicer-ts/common';
import {
  configFileFormat,
  mergeConfigMessages,
  parseAdvancedTargetConfig,
  parseTargetConfig,
  resolveTargetConfig,
  targetNameOfConfigFile,
  toAlgorithmConfig,
} from '../../src/core/target-config.js';

const CLUSTER = 'kubernetes-cluster:dev/cloud1/public/region1/clustertype2/01';
const OTHER_CLUSTER = 'kubernetes-cluster:prod/cloud1/public/region1/clustertype2/01';

const DEMO = `# Dicer's demo target
owner_team_name: "caching"
default_config {
  primary_rate_metric_config {
    max_load_hint: 50000
    imbalance_tolerance_hint: TIGHT
  }
}
overrides {
  override_scopes { cluster_uri: "${CLUSTER}" }
  override_config {
    primary_rate_metric_config { max_load_hint: 1000 uniform_load_reservation_hint: MEDIUM_RESERVATION }
    key_replication_config { min_replicas: 2 max_replicas: 3 }
  }
}
`;

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
    return err.message;
  }
  assert.fail('expected an error');
}

function textError(text: string): string {
  return errorOf(() => parseTargetConfig('demo.textproto', text));
}

function jsonError(json: unknown): string {
  return errorOf(() => parseTargetConfig('demo.json', JSON.stringify(json)));
}

const MINIMAL = 'default_config { primary_rate_metric_config { max_load_hint: 10 } }';

describe('target config', () => {
  describe('parseTargetConfig', () => {
    it('reads text format into TargetConfigP with presence kept', () => {
      const config = parseTargetConfig('demo-cache-app.textproto', DEMO);
      assert.equal(config.ownerTeamName, 'caching');
      const metric = config.defaultConfig!.primaryRateMetricConfig!;
      assert.equal(metric.maxLoadHint, 50000);
      assert.equal(metric.imbalanceToleranceHint, proto.LoadBalancingMetricConfigP_ImbalanceToleranceHintP.TIGHT);
      assert.equal(proto.isFieldSet(metric, proto.LoadBalancingMetricConfigPSchema.field.uniformLoadReservationHint), false);
      assert.equal(config.overrides.length, 1);
      assert.equal(config.overrides[0]!.overrideScopes[0]!.clusterUri, CLUSTER);
    });

    it('reads the equivalent JSON, with JSON or proto field names, enum names or numbers', () => {
      const fromText = parseTargetConfig('demo.textproto', DEMO);
      const fromJson = parseTargetConfig(
        'demo.json',
        JSON.stringify({
          ownerTeamName: 'caching',
          default_config: { primaryRateMetricConfig: { maxLoadHint: 50000, imbalanceToleranceHint: 1 } },
          overrides: [
            {
              overrideScopes: [{ clusterUri: CLUSTER }],
              overrideConfig: {
                primaryRateMetricConfig: { max_load_hint: '1000', uniformLoadReservationHint: 'MEDIUM_RESERVATION' },
                keyReplicationConfig: { minReplicas: 2, maxReplicas: '3' },
              },
            },
          ],
        }),
      );
      assert.ok(proto.equals(proto.TargetConfigPSchema, fromText, fromJson));
    });

    it('accepts the text-format spellings Dicer files use', () => {
      const config = parseTargetConfig(
        'x.textproto',
        'default_config: { primary_rate_metric_config < max_load_hint: 1.5e3f, imbalance_tolerance_hint: 2; > key_replication_config { min_replicas: 0x1 max_replicas: 03 } }',
      );
      assert.equal(config.defaultConfig!.primaryRateMetricConfig!.maxLoadHint, 1500);
      assert.equal(config.defaultConfig!.primaryRateMetricConfig!.imbalanceToleranceHint, 2);
      assert.equal(config.defaultConfig!.keyReplicationConfig!.maxReplicas, 3);
    });

    it('rejects structural errors naming file, position, field and rule', () => {
      assert.equal(
        textError('default_config { primary_rate_metric_config { max_load_hint: 10 max_load_hnt: 2 } }'),
        'demo.textproto:1:65: default_config.primary_rate_metric_config.max_load_hnt is not a field of dicer.LoadBalancingMetricConfigP',
      );
      assert.equal(
        textError('default_config { primary_rate_metric_config { max_load_hint: 10 max_load_hint: 2 } }'),
        'demo.textproto:1:65: default_config.primary_rate_metric_config.max_load_hint is specified more than once (it is not repeated)',
      );
      assert.equal(
        textError('default_config { primary_rate_metric_config { max_load_hint: "ten" } }'),
        'demo.textproto:1:62: default_config.primary_rate_metric_config.max_load_hint must be a number, got "ten"',
      );
      assert.equal(
        textError(`${MINIMAL.slice(0, -2)} key_replication_config { min_replicas: 1.5 } }`),
        'demo.textproto:1:106: default_config.key_replication_config.min_replicas must be a 32-bit integer, got 1.5',
      );
      assert.equal(
        textError(`${MINIMAL.slice(0, -2)} key_replication_config { min_replicas: 3000000000 } }`),
        'demo.textproto:1:106: default_config.key_replication_config.min_replicas must be a 32-bit integer, got 3000000000 (out of range)',
      );
      assert.equal(
        textError('default_config { primary_rate_metric_config { max_load_hint: 1 imbalance_tolerance_hint: SUPER } }'),
        'demo.textproto:1:90: default_config.primary_rate_metric_config.imbalance_tolerance_hint must be one of DEFAULT, TIGHT, LOOSE, got SUPER',
      );
      assert.equal(textError('owner_team_name: 5'), 'demo.textproto:1:18: owner_team_name must be a quoted string, got 5');
      assert.equal(
        textError('default_config: 5'),
        'demo.textproto:1:17: default_config must be a message dicer.TargetConfigFieldsP ({ … }), got 5',
      );
      assert.equal(textError('default_config { '), 'demo.textproto:1:18: expected "}" but reached the end');
    });

    it('rejects JSON errors naming file, field and rule', () => {
      assert.equal(jsonError({ defaultConfig: { foo: 1 } }), 'demo.json: default_config.foo is not a field of dicer.TargetConfigFieldsP');
      assert.equal(
        jsonError({ defaultConfig: { primaryRateMetricConfig: { maxLoadHint: 1, max_load_hint: 2 } } }),
        'demo.json: default_config.primary_rate_metric_config.max_load_hint is given twice (as "maxLoadHint" and "max_load_hint")',
      );
      assert.equal(
        jsonError({ defaultConfig: { primaryRateMetricConfig: { maxLoadHint: true } } }),
        'demo.json: default_config.primary_rate_metric_config.max_load_hint must be a number, got true',
      );
      assert.equal(jsonError({ overrides: {} }), 'demo.json: overrides must be a JSON array, got an object');
      assert.equal(jsonError([]), 'demo.json: must be a JSON object (dicer.TargetConfigP), got an array');
      assert.match(errorOf(() => parseTargetConfig('demo.json', '{ "defaultConfig": ')), /^demo\.json: not valid JSON: /);
    });

    it('enforces Dicer\'s rules on the default config', () => {
      assert.equal(textError('owner_team_name: "x"'), 'demo.textproto: default_config is required');
      assert.equal(
        textError('default_config { key_replication_config { min_replicas: 1 max_replicas: 1 } }'),
        'demo.textproto:1:1: default_config.primary_rate_metric_config.max_load_hint is required',
      );
      assert.equal(
        textError('default_config { primary_rate_metric_config { max_load_hint: -1 } }'),
        'demo.textproto:1:47: default_config.primary_rate_metric_config.max_load_hint must be positive and finite, got -1',
      );
      assert.equal(
        textError('default_config { primary_rate_metric_config { max_load_hint: inf } }'),
        'demo.textproto:1:47: default_config.primary_rate_metric_config.max_load_hint must be positive and finite, got Infinity',
      );
      assert.equal(
        textError('default_config { primary_rate_metric_config { max_load_hint: 0 } }'),
        'demo.textproto:1:47: default_config.primary_rate_metric_config.max_load_hint must be positive and finite, got 0',
      );
      assert.equal(
        textError(`${MINIMAL.slice(0, -2)} key_replication_config { min_replicas: 2 } }`),
        'demo.textproto:1:67: default_config.key_replication_config.max_replicas is required when key_replication_config is present',
      );
      assert.equal(
        textError(`${MINIMAL.slice(0, -2)} key_replication_config { min_replicas: 0 max_replicas: 1 } }`),
        'demo.textproto:1:92: default_config.key_replication_config.min_replicas must be at least 1, got 0',
      );
      assert.equal(
        textError(`${MINIMAL.slice(0, -2)} key_replication_config { min_replicas: 3 max_replicas: 2 } }`),
        'demo.textproto:1:108: default_config.key_replication_config.max_replicas must be at least min_replicas (3), got 2',
      );
    });

    it('validates each override merged into the default config', () => {
      const base = `default_config { primary_rate_metric_config { max_load_hint: 10 } key_replication_config { min_replicas: 1 max_replicas: 5 } }\n`;
      // A partial override is fine when the merge is complete.
      parseTargetConfig('demo.textproto', `${base}overrides { override_scopes { cluster_uri: "a" } override_config { key_replication_config { min_replicas: 3 } } }`);
      assert.equal(
        textError(`${base}overrides { override_scopes { cluster_uri: "a" } override_config { key_replication_config { min_replicas: 6 } } }`),
        'demo.textproto:1:108: default_config.key_replication_config.max_replicas must be at least min_replicas (6), got 5 (with overrides[0] applied)',
      );
      assert.equal(
        textError(`${base}overrides { override_scopes { cluster_uri: "a" } override_config { primary_rate_metric_config { max_load_hint: -2 } } }`),
        'demo.textproto:2:97: overrides[0].override_config.primary_rate_metric_config.max_load_hint must be positive and finite, got -2',
      );
    });

    it('rejects override scopes without a cluster or listed twice', () => {
      assert.equal(
        textError(`${MINIMAL}\noverrides { override_scopes {} }`),
        'demo.textproto:2:13: overrides[0].override_scopes[0].cluster_uri is required',
      );
      assert.equal(
        textError(`${MINIMAL}\noverrides { override_scopes { cluster_uri: "a" } }\noverrides { override_scopes { cluster_uri: "b" } override_scopes { cluster_uri: "a" } }`),
        'demo.textproto:3:68: overrides[1].override_scopes[1].cluster_uri "a" already appears in overrides[0]; a cluster may appear in at most one override',
      );
    });

    it('rejects files of an unknown format', () => {
      assert.equal(
        errorOf(() => parseTargetConfig('demo.yaml', MINIMAL)),
        'demo.yaml: a config file must end in .textproto, .txtpb, .pbtxt or .json',
      );
    });
  });

  describe('parseAdvancedTargetConfig', () => {
    it('reads load and health watcher settings', () => {
      const advanced = parseAdvancedTargetConfig(
        'demo.textproto',
        'default_config { load_watcher_config { min_duration_seconds: 30 use_top_keys: false } health_watcher_config { observe_slicelet_readiness: true } }',
      );
      assert.equal(advanced.defaultConfig!.loadWatcherConfig!.minDurationSeconds, 30);
    });

    it('rejects non-positive durations', () => {
      assert.equal(
        errorOf(() => parseAdvancedTargetConfig('adv.textproto', 'default_config { load_watcher_config { max_age_seconds: 0 } }')),
        'adv.textproto:1:40: default_config.load_watcher_config.max_age_seconds must be positive, got 0',
      );
      assert.equal(
        errorOf(() =>
          parseAdvancedTargetConfig(
            'adv.json',
            JSON.stringify({ overrides: [{ overrideScopes: [{ clusterUri: 'a' }], overrideConfig: { loadWatcherConfig: { minDurationSeconds: -5 } } }] }),
          ),
        ),
        'adv.json: overrides[0].override_config.load_watcher_config.min_duration_seconds must be positive, got -5',
      );
    });
  });

  describe('resolveTargetConfig', () => {
    it('fills in Dicer\'s defaults and the numbers of algorithm.md §2', () => {
      const resolved = resolveTargetConfig({ targetConfig: parseTargetConfig('t.textproto', MINIMAL) });
      assert.deepEqual(resolved, {
        ownerTeamName: undefined,
        maxLoadHint: 10,
        imbalanceToleranceHint: 'default',
        imbalanceToleranceRatio: 0.1,
        uniformLoadReservationHint: 'no-reservation',
        uniformLoadReservationRatio: 0.01,
        minReplicas: 1,
        maxReplicas: 1,
        loadBalancingIntervalMs: 60_000,
        loadWatcherMinDurationMs: 60_000,
        loadWatcherMaxAgeMs: 300_000,
        loadWatcherUseTopKeys: true,
        observeSliceletReadiness: false,
      });
      assert.ok(Object.isFrozen(resolved));
    });

    it('maps every hint to its ratio', () => {
      const cases: [string, string, number, number][] = [
        ['DEFAULT', 'NO_RESERVATION', 0.1, 0.01],
        ['TIGHT', 'SMALL_RESERVATION', 0.025, 0.1],
        ['LOOSE', 'MEDIUM_RESERVATION', 0.4, 0.2],
        ['DEFAULT', 'LARGE_RESERVATION', 0.1, 0.4],
      ];
      for (const [tolerance, reservation, toleranceRatio, reservationRatio] of cases) {
        const resolved = resolveTargetConfig({
          targetConfig: parseTargetConfig(
            't.textproto',
            `default_config { primary_rate_metric_config { max_load_hint: 1 imbalance_tolerance_hint: ${tolerance} uniform_load_reservation_hint: ${reservation} } }`,
          ),
        });
        assert.equal(resolved.imbalanceToleranceRatio, toleranceRatio);
        assert.equal(resolved.uniformLoadReservationRatio, reservationRatio);
      }
    });

    it('applies only the override of the Assigner\'s own cluster, with protobuf merge semantics', () => {
      const config = parseTargetConfig('demo.textproto', DEMO);
      const local = resolveTargetConfig({ targetConfig: config, clusterUri: CLUSTER });
      assert.equal(local.maxLoadHint, 1000);
      assert.equal(local.imbalanceToleranceHint, 'tight'); // kept from the default
      assert.equal(local.uniformLoadReservationHint, 'medium');
      assert.deepEqual([local.minReplicas, local.maxReplicas], [2, 3]);
      for (const clusterUri of [OTHER_CLUSTER, undefined]) {
        const other = resolveTargetConfig({ targetConfig: config, ...(clusterUri === undefined ? {} : { clusterUri }) });
        assert.equal(other.maxLoadHint, 50000);
        assert.deepEqual([other.minReplicas, other.maxReplicas], [1, 1]);
      }
    });

    it('takes key replication from the advanced config only when the target config has none', () => {
      const advanced = parseAdvancedTargetConfig(
        'a.textproto',
        'default_config { key_replication_config { min_replicas: 2 max_replicas: 4 } load_watcher_config { max_age_seconds: 120 } health_watcher_config { observe_slicelet_readiness: true } }',
      );
      const withoutOwn = resolveTargetConfig({ targetConfig: parseTargetConfig('t.textproto', MINIMAL), advancedConfig: advanced });
      assert.deepEqual([withoutOwn.minReplicas, withoutOwn.maxReplicas], [2, 4]);
      assert.equal(withoutOwn.loadWatcherMaxAgeMs, 120_000);
      assert.equal(withoutOwn.loadWatcherMinDurationMs, 60_000);
      assert.equal(withoutOwn.observeSliceletReadiness, true);
      const withOwn = resolveTargetConfig({ targetConfig: parseTargetConfig('demo.textproto', DEMO), advancedConfig: advanced, clusterUri: CLUSTER });
      assert.deepEqual([withOwn.minReplicas, withOwn.maxReplicas], [2, 3]);
    });

    it('validates configs built by hand', () => {
      const bad = proto.create(proto.TargetConfigPSchema, {
        defaultConfig: { primaryRateMetricConfig: { maxLoadHint: Number.NaN } },
      });
      assert.equal(
        errorOf(() => resolveTargetConfig({ targetConfig: bad, sourceName: 'inline' })),
        'inline: default_config.primary_rate_metric_config.max_load_hint must be positive and finite, got NaN',
      );
    });
  });

  describe('toAlgorithmConfig', () => {
    it('carries the target numbers and Dicer\'s hard-coded churn penalty', () => {
      const resolved = resolveTargetConfig({ targetConfig: parseTargetConfig('demo.textproto', DEMO), clusterUri: CLUSTER });
      const algorithm = toAlgorithmConfig(resolved);
      assert.equal(algorithm.maxLoadHint, 1000);
      assert.equal(algorithm.imbalanceToleranceRatio, 0.025);
      assert.equal(algorithm.uniformLoadReservationRatio, 0.2);
      assert.deepEqual([algorithm.minReplicas, algorithm.maxReplicas], [2, 3]);
      assert.equal(algorithm.churnPenaltyRatio, 0.25);
      assert.equal(toAlgorithmConfig(resolved, { churnPenaltyRatio: 0 }).churnPenaltyRatio, 0);
    });
  });

  describe('mergeConfigMessages', () => {
    it('replaces set scalars, merges messages and concatenates repeated fields', () => {
      const a = proto.create(proto.TargetConfigPSchema, {
        ownerTeamName: 'a',
        defaultConfig: { primaryRateMetricConfig: { maxLoadHint: 1, imbalanceToleranceHint: 1 } },
        overrides: [{ overrideScopes: [{ clusterUri: 'x' }] }],
      });
      const b = proto.create(proto.TargetConfigPSchema, {
        defaultConfig: { primaryRateMetricConfig: { maxLoadHint: 2 } },
        overrides: [{ overrideScopes: [{ clusterUri: 'y' }] }],
      });
      const merged = mergeConfigMessages(a, b);
      assert.equal(merged.ownerTeamName, 'a');
      assert.equal(merged.defaultConfig!.primaryRateMetricConfig!.maxLoadHint, 2);
      assert.equal(merged.defaultConfig!.primaryRateMetricConfig!.imbalanceToleranceHint, 1);
      assert.deepEqual(merged.overrides.map((o) => o.overrideScopes[0]!.clusterUri), ['x', 'y']);
      assert.equal(a.defaultConfig!.primaryRateMetricConfig!.maxLoadHint, 1, 'inputs are not modified');
    });
  });

  describe('config file names', () => {
    it('derive the format and the target name', () => {
      assert.equal(configFileFormat('a/demo.textproto'), 'textproto');
      assert.equal(configFileFormat('demo.json'), 'json');
      assert.equal(configFileFormat('README.md'), undefined);
      assert.equal(targetNameOfConfigFile('/etc/dicer/demo-cache.textproto'), 'demo-cache');
      assert.equal(targetNameOfConfigFile('README.md'), undefined);
    });
  });
});

describe('target config invariants', () => {
  const TOLERANCES = ['DEFAULT', 'TIGHT', 'LOOSE'];
  const RESERVATIONS = ['NO_RESERVATION', 'SMALL_RESERVATION', 'MEDIUM_RESERVATION', 'LARGE_RESERVATION'];

  interface Fields {
    maxLoadHint?: number;
    tolerance?: number;
    reservation?: number;
    replicas?: [number, number];
    minReplicasOnly?: number;
  }

  const arbFields = (requireHint: boolean): fc.Arbitrary<Fields> =>
    fc.record(
      {
        maxLoadHint: fc.double({ min: Number.MIN_VALUE, max: 1e300, noNaN: true }),
        tolerance: fc.integer({ min: 0, max: 2 }),
        reservation: fc.integer({ min: 0, max: 3 }),
        replicas: fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 5 })).map(([min, extra]): [number, number] => [min, min + extra]),
      },
      { requiredKeys: requireHint ? ['maxLoadHint'] : [] },
    );

  const arbOverrideFields: fc.Arbitrary<Fields> = fc.oneof(
    arbFields(false),
    fc.record({ minReplicasOnly: fc.integer({ min: 1, max: 6 }) }),
  );

  const arbConfig = fc.record({
    owner: fc.option(fc.string(), { nil: undefined }),
    defaults: arbFields(true),
    overrides: fc.uniqueArray(fc.tuple(fc.webUrl(), arbOverrideFields), { maxLength: 3, selector: ([uri]) => uri }),
  });

  function fieldsText(f: Fields): string {
    const metric = [
      f.maxLoadHint === undefined ? '' : `max_load_hint: ${f.maxLoadHint}`,
      f.tolerance === undefined ? '' : `imbalance_tolerance_hint: ${TOLERANCES[f.tolerance]}`,
      f.reservation === undefined ? '' : `uniform_load_reservation_hint: ${RESERVATIONS[f.reservation]}`,
    ].join(' ');
    const replication =
      f.minReplicasOnly !== undefined
        ? `key_replication_config { min_replicas: ${f.minReplicasOnly} }`
        : f.replicas === undefined
          ? ''
          : `key_replication_config < min_replicas: ${f.replicas[0]}, max_replicas: ${f.replicas[1]} >`;
    return `{ primary_rate_metric_config { ${metric} } ${replication} }`;
  }

  function fieldsJson(f: Fields): unknown {
    return {
      primaryRateMetricConfig: {
        ...(f.maxLoadHint === undefined ? {} : { maxLoadHint: f.maxLoadHint }),
        ...(f.tolerance === undefined ? {} : { imbalanceToleranceHint: TOLERANCES[f.tolerance] }),
        ...(f.reservation === undefined ? {} : { uniform_load_reservation_hint: f.reservation }),
      },
      ...(f.replicas === undefined ? {} : { keyReplicationConfig: { minReplicas: f.replicas[0], maxReplicas: String(f.replicas[1]) } }),
      ...(f.minReplicasOnly === undefined ? {} : { keyReplicationConfig: { min_replicas: f.minReplicasOnly } }),
    };
  }

  it('reads a config identically from text format and from JSON', () => {
    let failures = 0;
    fc.assert(
      fc.property(arbConfig, (c) => {
        const text = [
          c.owner === undefined ? '' : `owner_team_name: ${JSON.stringify(c.owner)}`,
          `default_config ${fieldsText(c.defaults)}`,
          ...c.overrides.map(([uri, f]) => `overrides { override_scopes { cluster_uri: ${JSON.stringify(uri)} } override_config: ${fieldsText(f)} }`),
        ].join('\n');
        const json = JSON.stringify({
          ...(c.owner === undefined ? {} : { ownerTeamName: c.owner }),
          defaultConfig: fieldsJson(c.defaults),
          overrides: c.overrides.map(([uri, f]) => ({ overrideScopes: [{ clusterUri: uri }], overrideConfig: fieldsJson(f) })),
        });
        let fromText: proto.TargetConfigP;
        try {
          fromText = parseTargetConfig('p.textproto', text);
        } catch (err) {
          // The only rules random overrides can break are about replicas after merging with the defaults.
          assert.match(
            (err as Error).message,
            /(max_replicas must be at least min_replicas .*|max_replicas is required when key_replication_config is present)( \(with overrides\[\d\] applied\))?$/,
          );
          failures++;
          assert.equal(errorOf(() => parseTargetConfig('p.json', json)).replace('p.json', 'p.textproto').replace(/:\d+:\d+/, ''), (err as Error).message.replace(/:\d+:\d+/, ''));
          return;
        }
        const fromJson = parseTargetConfig('p.json', json);
        assert.ok(proto.equals(proto.TargetConfigPSchema, fromText, fromJson));
        for (const [uri, f] of c.overrides) {
          const resolved = resolveTargetConfig({ targetConfig: fromText, clusterUri: uri });
          assert.equal(resolved.maxLoadHint, f.maxLoadHint ?? c.defaults.maxLoadHint);
          assert.equal(resolved.minReplicas, f.minReplicasOnly ?? f.replicas?.[0] ?? c.defaults.replicas?.[0] ?? 1);
        }
      }),
      { seed: 42, numRuns: 300 },
    );
    assert.ok(failures > 0, 'some generated overrides break a merged rule');
  });
});
