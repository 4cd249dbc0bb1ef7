/**
 * Target configuration: Dicer's `TargetConfigP` (and the optional `AdvancedTargetConfigP`) read
 * from protobuf text format (`<target>.textproto`) or the equivalent proto JSON, validated
 * strictly, merged with the per-cluster override for the Assigner's own cluster, and mapped to the
 * internal numbers the algorithm and the watchers use.
 *
 * Mirrors Dicer's `dicer/assigner/config` (`TargetConfig`, `StaticTargetConfigProvider`) and the
 * protos `target.proto` / `advanced_target_config.proto`.
 *
 * @see algorithm.md §2, store-ha.md §4.3, protocol.md §1.11
 */
import { InvalidArgumentError, proto } from '@dicer-ts/common';
import {
  decodeJsonMessage,
  decodeTextprotoMessage,
  formatConfigError,
  type DecodedConfigMessage,
  type MessageDescriptor,
} from './config-message-decoder.js';
import { parseTextproto, type TextprotoPosition } from './textproto.js';
import {
  IMBALANCE_TOLERANCE_RATIOS,
  UNIFORM_LOAD_RESERVATION_RATIOS,
  createAlgorithmConfig,
  type AlgorithmConfig,
  type AlgorithmConfigOptions,
  type ImbalanceToleranceHint,
  type UniformLoadReservationHint,
} from './algorithm/algorithm-config.js';
import { DEFAULT_LOAD_BALANCING_INTERVAL_MS } from './regeneration-decision.js';

/** Default of `load_watcher_config.min_duration_seconds` (60 s), in ms. */
export const DEFAULT_LOAD_WATCHER_MIN_DURATION_MS = 60_000;
/** Default of `load_watcher_config.max_age_seconds` (300 s), in ms. */
export const DEFAULT_LOAD_WATCHER_MAX_AGE_MS = 300_000;
/** Default of `load_watcher_config.use_top_keys`. */
export const DEFAULT_LOAD_WATCHER_USE_TOP_KEYS = true;
/** Default of `health_watcher_config.observe_slicelet_readiness`. */
export const DEFAULT_OBSERVE_SLICELET_READINESS = false;
/** Default key replication when no config gives one: exactly one replica per slice. */
export const DEFAULT_MIN_REPLICAS = 1;
/** @see DEFAULT_MIN_REPLICAS */
export const DEFAULT_MAX_REPLICAS = 1;

/**
 * The effective configuration of one target: the default config merged with the override for the
 * Assigner's cluster (if any), the advanced config applied, defaults filled in and hints turned
 * into numbers. Frozen.
 */
export interface TargetConfig {
  /** `owner_team_name`, informational only. */
  readonly ownerTeamName: string | undefined;
  /** `max_load_hint`: the per-resource capacity, in load units; positive and finite. */
  readonly maxLoadHint: number;
  /** `imbalance_tolerance_hint` (DEFAULT → `'default'`, TIGHT → `'tight'`, LOOSE → `'loose'`). */
  readonly imbalanceToleranceHint: ImbalanceToleranceHint;
  /** The ratio of {@link imbalanceToleranceHint} (0.1, 0.025 or 0.4). */
  readonly imbalanceToleranceRatio: number;
  /** `uniform_load_reservation_hint` (NO_RESERVATION → `'no-reservation'`, SMALL_RESERVATION → `'small'`, …). */
  readonly uniformLoadReservationHint: UniformLoadReservationHint;
  /** The ratio of {@link uniformLoadReservationHint} (0.01, 0.1, 0.2 or 0.4; NO_RESERVATION is 1%, not 0). */
  readonly uniformLoadReservationRatio: number;
  /** Minimum replicas per slice; at least 1. */
  readonly minReplicas: number;
  /** Maximum replicas per slice; at least {@link minReplicas}. */
  readonly maxReplicas: number;
  /** How often the generator rebalances load (always 60 s in Dicer). */
  readonly loadBalancingIntervalMs: number;
  /** `load_watcher_config.min_duration_seconds`, in ms: shorter report windows are ignored. */
  readonly loadWatcherMinDurationMs: number;
  /** `load_watcher_config.max_age_seconds`, in ms: older measurements are dropped. */
  readonly loadWatcherMaxAgeMs: number;
  /** `load_watcher_config.use_top_keys`. */
  readonly loadWatcherUseTopKeys: boolean;
  /** `health_watcher_config.observe_slicelet_readiness`: when false, NOT_READY counts as Running. */
  readonly observeSliceletReadiness: boolean;
}

/** What {@link resolveTargetConfig} needs. */
export interface ResolveTargetConfigOptions {
  /** The parsed `<target>.textproto` (or `.json`), from {@link parseTargetConfig}. */
  readonly targetConfig: proto.TargetConfigP;
  /** The parsed advanced config, if the target has one, from {@link parseAdvancedTargetConfig}. */
  readonly advancedConfig?: proto.AdvancedTargetConfigP;
  /**
   * The Assigner's own cluster URI (Dicer's `LOCATION`); an override whose scopes list it applies.
   * Compared as an exact string. Without it only the default config applies.
   */
  readonly clusterUri?: string;
  /** The name used in error messages. @default `'<target config>'` */
  readonly sourceName?: string;
}

/** A config format, chosen from the file name by {@link configFileFormat}. */
export type ConfigFileFormat = 'textproto' | 'json';

/**
 * The format of a config file from its extension: `.textproto`, `.txtpb` or `.pbtxt` are text
 * format, `.json` is proto JSON; anything else is not a config file (`undefined`).
 */
export function configFileFormat(fileName: string): ConfigFileFormat | undefined {
  if (/\.(textproto|txtpb|pbtxt)$/.test(fileName)) return 'textproto';
  if (/\.json$/.test(fileName)) return 'json';
  return undefined;
}

/**
 * The target name a config file is for: its base name without the extension
 * (`configs/demo-cache.textproto` → `demo-cache`), or `undefined` if it is not a config file.
 */
export function targetNameOfConfigFile(fileName: string): string | undefined {
  if (configFileFormat(fileName) === undefined) return undefined;
  const base = fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
  return base.slice(0, base.lastIndexOf('.'));
}

/**
 * Parses and validates a `TargetConfigP` file. The format follows the file name (see
 * {@link configFileFormat}) unless given.
 *
 * Validation (errors name the file, the position in text format, the field path and the rule):
 * unknown fields, duplicated singular fields and badly typed values are rejected;
 * `default_config.primary_rate_metric_config.max_load_hint` is required, positive and finite;
 * a `key_replication_config` needs both `min_replicas ≥ 1` and `max_replicas ≥ min_replicas`;
 * every override scope needs a `cluster_uri`, and a cluster may appear in at most one override;
 * the default config merged with each override must be valid too.
 *
 * @throws {InvalidArgumentError} when the file does not parse or breaks a rule.
 */
export function parseTargetConfig(fileName: string, contents: string, format?: ConfigFileFormat): proto.TargetConfigP {
  const decoded = decode(proto.TargetConfigPSchema, fileName, contents, format);
  validateTargetConfig(decoded, fileName);
  return decoded.message;
}

/**
 * Parses and validates an `AdvancedTargetConfigP` file (load watcher, health watcher and the
 * deprecated key replication settings), like {@link parseTargetConfig}.
 *
 * Rules: `min_duration_seconds` and `max_age_seconds`, when set, are positive; a deprecated
 * `key_replication_config` obeys the same rules as in the target config; override scopes as in
 * the target config.
 *
 * @throws {InvalidArgumentError} when the file does not parse or breaks a rule.
 */
export function parseAdvancedTargetConfig(
  fileName: string,
  contents: string,
  format?: ConfigFileFormat,
): proto.AdvancedTargetConfigP {
  const decoded = decode(proto.AdvancedTargetConfigPSchema, fileName, contents, format);
  validateAdvancedConfig(decoded, fileName);
  return decoded.message;
}

function decode<Desc extends MessageDescriptor>(
  schema: Desc,
  fileName: string,
  contents: string,
  format: ConfigFileFormat | undefined,
): DecodedConfigMessage<proto.MessageShape<Desc>> {
  const chosen = format ?? configFileFormat(fileName);
  if (chosen === undefined) {
    throw new InvalidArgumentError(`${fileName}: a config file must end in .textproto, .txtpb, .pbtxt or .json`);
  }
  if (chosen === 'textproto') return decodeTextprotoMessage(schema, parseTextproto(contents, fileName), fileName);
  let json: unknown;
  try {
    json = JSON.parse(contents);
  } catch (err) {
    throw new InvalidArgumentError(`${fileName}: not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return decodeJsonMessage(schema, json, fileName);
}

/** Finds the path and position of a sub-field in the first of several (override, default) messages setting it. */
interface FieldsLayer {
  /** Path prefix of the layer's fields message, e.g. `overrides[0].override_config`. */
  readonly path: string;
  readonly fields: object | undefined;
}

class Validator {
  constructor(
    private readonly sourceName: string,
    private readonly positions: ReadonlyMap<string, TextprotoPosition>,
    /** Set while validating an override merged into the defaults: `overrides[i]`. */
    private readonly mergedOverride?: string,
  ) {}

  /** The same validator for the default config merged with `overrides[index]`. */
  forOverride(index: number): Validator {
    return new Validator(this.sourceName, this.positions, `overrides[${index}]`);
  }

  fail(path: string, rule: string): never {
    const context =
      this.mergedOverride !== undefined && !path.startsWith(this.mergedOverride) ? ` (with ${this.mergedOverride} applied)` : '';
    throw new InvalidArgumentError(formatConfigError(this.sourceName, path, this.positionOf(path), rule + context));
  }

  /** The recorded position of `path`, or of its nearest recorded ancestor. */
  positionOf(path: string): TextprotoPosition | undefined {
    for (let p = path; p !== ''; p = p.replace(/(\.[^.]*|\[\d+\])$/, '')) {
      const found = this.positions.get(p);
      if (found !== undefined) return found;
      if (!/[.[]/.test(p)) break;
    }
    return undefined;
  }

  /**
   * The path of `sub` in the first layer that sets it (by presence); when no layer sets it, in the
   * first layer that sets its nearest ancestor (so a missing field points at the message lacking it).
   */
  locate(layers: readonly FieldsLayer[], sub: string): string {
    const parts = sub.split('.');
    for (let n = parts.length; n > 0; n--) {
      const prefix = parts.slice(0, n).join('.');
      for (const layer of layers) {
        if (layer.fields !== undefined && isSet(layer.fields, prefix)) return `${layer.path}.${sub}`;
      }
    }
    return `${layers[0]!.path}.${sub}`;
  }
}

/** Whether the dotted proto-name path `sub` is set (proto2 presence) inside `message`. */
function isSet(message: object, sub: string): boolean {
  let current: unknown = message;
  for (const name of sub.split('.')) {
    const msg = current as proto.MessageShape<MessageDescriptor>;
    const schema = schemaOf(msg);
    const field = schema?.fields.find((f) => f.name === name);
    if (schema === undefined || field === undefined || !proto.isFieldSet(msg, field)) return false;
    current = (msg as unknown as Record<string, unknown>)[field.localName];
  }
  return true;
}

const SCHEMAS: ReadonlyMap<string, MessageDescriptor> = new Map<string, MessageDescriptor>(
  [
    proto.TargetConfigPSchema,
    proto.TargetConfigFieldsPSchema,
    proto.TargetConfigOverridePSchema,
    proto.LoadBalancingMetricConfigPSchema,
    proto.KeyReplicationConfigPSchema,
    proto.AdvancedTargetConfigPSchema,
    proto.AdvancedTargetConfigFieldsPSchema,
    proto.AdvancedTargetConfigOverridePSchema,
    proto.LoadWatcherConfigPSchema,
    proto.HealthWatcherConfigPSchema,
    proto.ConfigScopePSchema,
  ].map((s) => [s.typeName, s as MessageDescriptor]),
);

function schemaOf(message: unknown): MessageDescriptor | undefined {
  const typeName = (message as { $typeName?: string } | undefined)?.$typeName;
  return typeName === undefined ? undefined : SCHEMAS.get(typeName);
}

/**
 * Protobuf `mergeFrom`: set singular scalars of `from` replace, set messages merge recursively,
 * repeated fields concatenate. Returns a new message; neither input is modified.
 */
export function mergeConfigMessages<M extends proto.MessageShape<MessageDescriptor>>(into: M, from: M): M {
  const schema = schemaOf(into);
  if (schema === undefined) throw new InvalidArgumentError(`cannot merge messages of type ${into.$typeName}`);
  const out = proto.clone(schema, into) as M;
  const target = out as unknown as Record<string, unknown>;
  const source = from as unknown as Record<string, unknown>;
  for (const field of schema.fields) {
    if (!proto.isFieldSet(from, field)) continue;
    const value = source[field.localName];
    if (field.fieldKind === 'list') {
      const list = target[field.localName] as unknown[];
      for (const element of value as unknown[]) {
        list.push(field.listKind === 'message' ? proto.clone(field.message, element as never) : element);
      }
    } else if (field.fieldKind === 'message') {
      target[field.localName] = proto.isFieldSet(out, field)
        ? mergeConfigMessages(target[field.localName] as M, value as M)
        : proto.clone(field.message, value as never);
    } else {
      target[field.localName] = value;
    }
  }
  return out;
}

function validateScopes(
  overrides: readonly { overrideScopes: readonly proto.ConfigScopeP[] }[],
  v: Validator,
): void {
  const firstSeen = new Map<string, number>();
  overrides.forEach((override, i) => {
    override.overrideScopes.forEach((scope, j) => {
      const path = `overrides[${i}].override_scopes[${j}].cluster_uri`;
      if (!proto.isFieldSet(scope, proto.ConfigScopePSchema.field.clusterUri) || scope.clusterUri === '') {
        v.fail(path, 'is required');
      }
      const earlier = firstSeen.get(scope.clusterUri);
      if (earlier !== undefined && earlier !== i) {
        v.fail(path, `${JSON.stringify(scope.clusterUri)} already appears in overrides[${earlier}]; a cluster may appear in at most one override`);
      }
      if (earlier === undefined) firstSeen.set(scope.clusterUri, i);
    });
  });
}

function validateKeyReplication(layers: readonly FieldsLayer[], v: Validator, mergedConfig: proto.KeyReplicationConfigP | undefined): void {
  if (mergedConfig === undefined) return;
  const minPath = v.locate(layers, 'key_replication_config.min_replicas');
  const maxPath = v.locate(layers, 'key_replication_config.max_replicas');
  if (!proto.isFieldSet(mergedConfig, proto.KeyReplicationConfigPSchema.field.minReplicas)) {
    v.fail(minPath, 'is required when key_replication_config is present');
  }
  if (!proto.isFieldSet(mergedConfig, proto.KeyReplicationConfigPSchema.field.maxReplicas)) {
    v.fail(maxPath, 'is required when key_replication_config is present');
  }
  if (mergedConfig.minReplicas < 1) v.fail(minPath, `must be at least 1, got ${mergedConfig.minReplicas}`);
  if (mergedConfig.maxReplicas < mergedConfig.minReplicas) {
    v.fail(maxPath, `must be at least min_replicas (${mergedConfig.minReplicas}), got ${mergedConfig.maxReplicas}`);
  }
}

function validateTargetFields(fields: proto.TargetConfigFieldsP, layers: readonly FieldsLayer[], v: Validator): void {
  const metric = fields.primaryRateMetricConfig;
  const hintPath = v.locate(layers, 'primary_rate_metric_config.max_load_hint');
  if (metric === undefined || !proto.isFieldSet(metric, proto.LoadBalancingMetricConfigPSchema.field.maxLoadHint)) {
    v.fail(hintPath, 'is required');
  }
  if (!(Number.isFinite(metric.maxLoadHint) && metric.maxLoadHint > 0)) {
    v.fail(hintPath, `must be positive and finite, got ${metric.maxLoadHint}`);
  }
  validateKeyReplication(layers, v, fields.keyReplicationConfig);
}

function validateTargetConfig(decoded: DecodedConfigMessage<proto.TargetConfigP>, sourceName: string): void {
  const v: Validator = new Validator(sourceName, decoded.positions);
  const config = decoded.message;
  const defaults = config.defaultConfig;
  if (defaults === undefined) v.fail('default_config', 'is required');
  validateTargetFields(defaults, [{ path: 'default_config', fields: defaults }], v);
  validateScopes(config.overrides, v);
  config.overrides.forEach((override, i) => {
    if (override.overrideConfig === undefined) return;
    const merged = mergeConfigMessages(defaults, override.overrideConfig);
    validateTargetFields(
      merged,
      [
        { path: `overrides[${i}].override_config`, fields: override.overrideConfig },
        { path: 'default_config', fields: defaults },
      ],
      v.forOverride(i),
    );
  });
}

function validateAdvancedFields(fields: proto.AdvancedTargetConfigFieldsP, layers: readonly FieldsLayer[], v: Validator): void {
  const lw = fields.loadWatcherConfig;
  if (lw !== undefined) {
    const schema = proto.LoadWatcherConfigPSchema.field;
    if (proto.isFieldSet(lw, schema.minDurationSeconds) && lw.minDurationSeconds <= 0) {
      v.fail(v.locate(layers, 'load_watcher_config.min_duration_seconds'), `must be positive, got ${lw.minDurationSeconds}`);
    }
    if (proto.isFieldSet(lw, schema.maxAgeSeconds) && lw.maxAgeSeconds <= 0) {
      v.fail(v.locate(layers, 'load_watcher_config.max_age_seconds'), `must be positive, got ${lw.maxAgeSeconds}`);
    }
  }
  validateKeyReplication(layers, v, fields.keyReplicationConfig);
}

function validateAdvancedConfig(decoded: DecodedConfigMessage<proto.AdvancedTargetConfigP>, sourceName: string): void {
  const v: Validator = new Validator(sourceName, decoded.positions);
  const config = decoded.message;
  const defaults = config.defaultConfig ?? proto.create(proto.AdvancedTargetConfigFieldsPSchema);
  validateAdvancedFields(defaults, [{ path: 'default_config', fields: defaults }], v);
  validateScopes(config.overrides, v);
  config.overrides.forEach((override, i) => {
    if (override.overrideConfig === undefined) return;
    validateAdvancedFields(
      mergeConfigMessages(defaults, override.overrideConfig),
      [
        { path: `overrides[${i}].override_config`, fields: override.overrideConfig },
        { path: 'default_config', fields: defaults },
      ],
      v.forOverride(i),
    );
  });
}

function selectOverride<F>(
  overrides: readonly { overrideScopes: readonly proto.ConfigScopeP[]; overrideConfig?: F | undefined }[],
  clusterUri: string | undefined,
  sourceName: string,
): F | undefined {
  if (clusterUri === undefined) return undefined;
  const matching = overrides.filter((o) => o.overrideScopes.some((s) => s.clusterUri === clusterUri));
  if (matching.length > 1) {
    throw new InvalidArgumentError(`${sourceName}: cluster ${JSON.stringify(clusterUri)} appears in ${matching.length} overrides; at most one is allowed`);
  }
  return matching[0]?.overrideConfig;
}

/** The algorithm's hint names by proto enum number (`ImbalanceToleranceHintP`). */
const TOLERANCE_HINTS: readonly ImbalanceToleranceHint[] = ['default', 'tight', 'loose'];
/** The algorithm's hint names by proto enum number (`ReservationHintP`). */
const RESERVATION_HINTS: readonly UniformLoadReservationHint[] = ['no-reservation', 'small', 'medium', 'large'];

/**
 * The effective {@link TargetConfig} of a target for the Assigner in `clusterUri`: the default
 * config merged (protobuf merge: set scalars replace, messages merge, repeated fields concatenate)
 * with the one override listing `clusterUri`, the same for the advanced config, then defaults and
 * the numbers of algorithm.md §2. Key replication comes from the target config, else from the
 * advanced config's deprecated field, else {1, 1}.
 *
 * @throws {InvalidArgumentError} when the inputs were not validated by the parse functions and
 *   break a rule, or when the cluster appears in more than one override.
 */
export function resolveTargetConfig(options: ResolveTargetConfigOptions): TargetConfig {
  const sourceName = options.sourceName ?? '<target config>';
  const { targetConfig, advancedConfig, clusterUri } = options;
  validateTargetConfig({ message: targetConfig, positions: new Map() }, sourceName);
  if (advancedConfig !== undefined) validateAdvancedConfig({ message: advancedConfig, positions: new Map() }, sourceName);

  const baseFields = targetConfig.defaultConfig!;
  const override = selectOverride<proto.TargetConfigFieldsP>(targetConfig.overrides, clusterUri, sourceName);
  const fields = override === undefined ? baseFields : mergeConfigMessages<proto.TargetConfigFieldsP>(baseFields, override);

  const advancedBase = advancedConfig?.defaultConfig ?? proto.create(proto.AdvancedTargetConfigFieldsPSchema);
  const advancedOverride = advancedConfig === undefined ? undefined : selectOverride<proto.AdvancedTargetConfigFieldsP>(advancedConfig.overrides, clusterUri, sourceName);
  const advanced = advancedOverride === undefined ? advancedBase : mergeConfigMessages<proto.AdvancedTargetConfigFieldsP>(advancedBase, advancedOverride);

  const metric = fields.primaryRateMetricConfig!;
  const imbalanceToleranceHint = TOLERANCE_HINTS[metric.imbalanceToleranceHint]!;
  const uniformLoadReservationHint = RESERVATION_HINTS[metric.uniformLoadReservationHint]!;
  const replication = fields.keyReplicationConfig ?? advanced.keyReplicationConfig;
  const lw = advanced.loadWatcherConfig;
  const lwFields = proto.LoadWatcherConfigPSchema.field;
  const hw = advanced.healthWatcherConfig;

  return Object.freeze({
    ownerTeamName: proto.isFieldSet(targetConfig, proto.TargetConfigPSchema.field.ownerTeamName)
      ? targetConfig.ownerTeamName
      : undefined,
    maxLoadHint: metric.maxLoadHint,
    imbalanceToleranceHint,
    imbalanceToleranceRatio: IMBALANCE_TOLERANCE_RATIOS[imbalanceToleranceHint],
    uniformLoadReservationHint,
    uniformLoadReservationRatio: UNIFORM_LOAD_RESERVATION_RATIOS[uniformLoadReservationHint],
    minReplicas: replication?.minReplicas ?? DEFAULT_MIN_REPLICAS,
    maxReplicas: replication?.maxReplicas ?? DEFAULT_MAX_REPLICAS,
    loadBalancingIntervalMs: DEFAULT_LOAD_BALANCING_INTERVAL_MS,
    loadWatcherMinDurationMs:
      lw !== undefined && proto.isFieldSet(lw, lwFields.minDurationSeconds)
        ? lw.minDurationSeconds * 1000
        : DEFAULT_LOAD_WATCHER_MIN_DURATION_MS,
    loadWatcherMaxAgeMs:
      lw !== undefined && proto.isFieldSet(lw, lwFields.maxAgeSeconds) ? lw.maxAgeSeconds * 1000 : DEFAULT_LOAD_WATCHER_MAX_AGE_MS,
    loadWatcherUseTopKeys:
      lw !== undefined && proto.isFieldSet(lw, lwFields.useTopKeys) ? lw.useTopKeys : DEFAULT_LOAD_WATCHER_USE_TOP_KEYS,
    observeSliceletReadiness:
      hw !== undefined && proto.isFieldSet(hw, proto.HealthWatcherConfigPSchema.field.observeSliceletReadiness)
        ? hw.observeSliceletReadiness
        : DEFAULT_OBSERVE_SLICELET_READINESS,
  });
}

/**
 * The algorithm's configuration for a target (algorithm.md §2): capacity, tolerance and
 * reservation hints, and replica bounds from the target config; churn penalty and placement limits
 * from Dicer's hard-coded defaults unless `extra` overrides them (tests and the simulator do).
 *
 * @throws {InvalidArgumentError} when `extra` breaks a rule of `createAlgorithmConfig`.
 */
export function toAlgorithmConfig(
  config: TargetConfig,
  extra: Pick<AlgorithmConfigOptions, 'churnPenaltyRatio' | 'placementTimeoutMs' | 'placementIterationBudget'> = {},
): AlgorithmConfig {
  return createAlgorithmConfig({
    maxLoadHint: config.maxLoadHint,
    imbalanceToleranceHint: config.imbalanceToleranceHint,
    uniformLoadReservationHint: config.uniformLoadReservationHint,
    minReplicas: config.minReplicas,
    maxReplicas: config.maxReplicas,
    ...extra,
  });
}
