/**
 * Target: the sharded service a Clerk or Slicelet belongs to, either a Kubernetes target (name plus
 * optional cluster URI) or an App target (name plus instance id).
 *
 * @see protocol.md §1.7 (`ClientRequestP.TargetP`), §2.4; Dicer `Target.scala`, `TargetHelper.scala`
 */
import { create, isFieldSet } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '../errors.js';
import { ClientRequestP_TargetP_Type, ClientRequestP_TargetPSchema } from '../gen/dicer/common/proto/common_pb.js';
import type { ClientRequestP_TargetP } from '../gen/dicer/common/proto/common_pb.js';
import { JavaUri } from './java-uri.js';
import { requireThat } from './requirement.js';
import { RFC1123_LABEL_PATTERN, isRfc1123Label } from './rfc1123.js';

/** Scheme of Kubernetes cluster URIs, `kubernetes-cluster:<env>/<cloud>/<domain>/<region>/<type>/<code>`. */
export const KUBERNETES_CLUSTER_SCHEME = 'kubernetes-cluster';

/** Prefix of the parseable form of App targets, `appTarget:<name>:<instanceId>`. */
export const APP_TARGET_PREFIX = 'appTarget';

/** Longest App target name. */
export const MAX_APP_TARGET_NAME_LENGTH = 42;

/**
 * A Kubernetes target: an RFC 1123 name, plus the cluster's URI when known (Clerks add their own
 * cluster best-effort; the Assigner strips a cluster equal to its own).
 */
export class KubernetesTarget {
  /** Discriminant. */
  readonly kind = 'kubernetes' as const;
  /** RFC 1123 label, e.g. `softstore`. */
  readonly name: string;
  /** Normalized `kubernetes-cluster:` URI, when known. */
  readonly clusterUri: string | undefined;

  private constructor(name: string, clusterUri: string | undefined) {
    this.name = name;
    this.clusterUri = clusterUri;
  }

  /**
   * @throws {InvalidArgumentError} `Target name must match regex …: <name>`, or a cluster URI error
   *   (`Expected a kubernetes-cluster URI, got: <uri>`, `Cluster URI path must have 6 parts: …`).
   */
  static create(name: string, clusterUri?: string): KubernetesTarget {
    requireThat(isRfc1123Label(name), () => `Target name must match regex ${RFC1123_LABEL_PATTERN}: ${name}`);
    if (clusterUri !== undefined) validateClusterUri(clusterUri);
    return new KubernetesTarget(name, clusterUri);
  }

  /** The same target without its cluster URI. */
  withoutCluster(): KubernetesTarget {
    return this.clusterUri === undefined ? this : new KubernetesTarget(this.name, undefined);
  }

  /** Wire form: name, cluster only when known, type KUBERNETES. */
  toProto(): ClientRequestP_TargetP {
    const p = create(ClientRequestP_TargetPSchema, { name: this.name, targetType: ClientRequestP_TargetP_Type.KUBERNETES });
    if (this.clusterUri !== undefined) p.kubernetesClusterUri = this.clusterUri;
    return p;
  }

  /** Same kind, name and cluster. */
  equals(other: Target): boolean {
    return other.kind === 'kubernetes' && other.name === this.name && other.clusterUri === this.clusterUri;
  }

  /** Parseable form: `name` or `<clusterUri>:<name>`. */
  toString(): string {
    return this.clusterUri === undefined ? this.name : `${this.clusterUri}:${this.name}`;
  }
}

/** An App target: a name and an instance id. */
export class AppTarget {
  /** Discriminant. */
  readonly kind = 'app' as const;
  /** RFC 1123, starts with a letter, no `--`, at most 42 characters. */
  readonly name: string;
  /** RFC 1123, starts with a letter, no `--`. */
  readonly instanceId: string;

  private constructor(name: string, instanceId: string) {
    this.name = name;
    this.instanceId = instanceId;
  }

  /** @throws {InvalidArgumentError} `Name is invalid: <name>` or `Instance ID is invalid: <id>`. */
  static create(name: string, instanceId: string): AppTarget {
    requireThat(isAppIdentifier(name) && name.length <= MAX_APP_TARGET_NAME_LENGTH, () => `Name is invalid: ${name}`);
    requireThat(isAppIdentifier(instanceId), () => `Instance ID is invalid: ${instanceId}`);
    return new AppTarget(name, instanceId);
  }

  /** Wire form: name, type APP, instance id. */
  toProto(): ClientRequestP_TargetP {
    return create(ClientRequestP_TargetPSchema, {
      name: this.name,
      targetType: ClientRequestP_TargetP_Type.APP,
      instanceId: this.instanceId,
    });
  }

  /** Same kind, name and instance id. */
  equals(other: Target): boolean {
    return other.kind === 'app' && other.name === this.name && other.instanceId === this.instanceId;
  }

  /** Parseable form: `appTarget:<name>:<instanceId>`. */
  toString(): string {
    return `${APP_TARGET_PREFIX}:${this.name}:${this.instanceId}`;
  }
}

/** A Dicer target; narrow with `kind`. */
export type Target = KubernetesTarget | AppTarget;

/** Factories and rules for {@link Target}. */
export const Target = {
  /** A Kubernetes target; see {@link KubernetesTarget.create}. */
  kubernetes(name: string, clusterUri?: string): KubernetesTarget {
    return KubernetesTarget.create(name, clusterUri);
  },

  /** An App target; see {@link AppTarget.create}. */
  app(name: string, instanceId: string): AppTarget {
    return AppTarget.create(name, instanceId);
  },

  /**
   * Parses the form `toString` prints: `name`, `<clusterUri>:<name>` (split at the last `:`), or
   * `appTarget:<name>:<instanceId>`.
   *
   * @throws {InvalidArgumentError} when a part is invalid.
   */
  parse(text: string): Target {
    if (text.startsWith(`${APP_TARGET_PREFIX}:`)) {
      const rest = text.slice(APP_TARGET_PREFIX.length + 1);
      const colon = rest.indexOf(':');
      if (colon < 0) throw new InvalidArgumentError(`App target must be ${APP_TARGET_PREFIX}:<name>:<instanceId>, got: ${text}`);
      return AppTarget.create(rest.slice(0, colon), rest.slice(colon + 1));
    }
    const colon = text.lastIndexOf(':');
    if (colon < 0) return KubernetesTarget.create(text);
    return KubernetesTarget.create(text.slice(colon + 1), text.slice(0, colon));
  },

  /**
   * Reads a `TargetP`: type absent, TYPE_UNSPECIFIED or KUBERNETES gives a Kubernetes target (the
   * cluster kept when present), APP an App target.
   *
   * @throws {InvalidArgumentError} `instanceId must be defined for AppTarget`, or a name/cluster error.
   */
  fromProto(proto: ClientRequestP_TargetP): Target {
    if (proto.targetType === ClientRequestP_TargetP_Type.APP) {
      requireThat(isFieldSet(proto, ClientRequestP_TargetPSchema.field.instanceId), () => 'instanceId must be defined for AppTarget');
      return AppTarget.create(proto.name, proto.instanceId);
    }
    const cluster = isFieldSet(proto, ClientRequestP_TargetPSchema.field.kubernetesClusterUri) ? proto.kubernetesClusterUri : undefined;
    return KubernetesTarget.create(proto.name, cluster);
  },

  /**
   * Whether a Watch server must reject a request for `a` when it serves `b` (symmetric): two
   * Kubernetes targets mismatch fatally only when their names differ (a cluster difference alone is
   * tolerated), two App targets unless equal, and different kinds always.
   */
  isFatalMismatch(a: Target, b: Target): boolean {
    if (a.kind === 'kubernetes' && b.kind === 'kubernetes') return a.name !== b.name;
    return !a.equals(b);
  },
} as const;

/** RFC 1123, starting with a letter, without `--` (Databricks App identifiers). */
function isAppIdentifier(value: string): boolean {
  return isRfc1123Label(value) && /^[a-z]/.test(value) && !value.includes('--');
}

/**
 * A cluster URI must be an opaque `kubernetes-cluster:` URI of exactly six `/`-separated parts and
 * already in normal form.
 */
function validateClusterUri(text: string): void {
  const uri = JavaUri.parse(text);
  requireThat(uri.scheme === KUBERNETES_CLUSTER_SCHEME, () => `Expected a ${KUBERNETES_CLUSTER_SCHEME} URI, got: ${text}`);
  requireThat(uri.isOpaque(), () => `Expected an opaque ${KUBERNETES_CLUSTER_SCHEME} URI, got: ${text}`);
  const parts = javaSplit(uri.schemeSpecificPart, '/');
  requireThat(parts.length === 6, () => `Cluster URI path must have 6 parts: parts=[${parts.join(', ')}]`);
  const normalized = `${KUBERNETES_CLUSTER_SCHEME}:${parts.join('/')}`;
  requireThat(text === normalized, () => `Cluster URI must be normalized: expected ${normalized}, got: ${text}`);
}

/** Java `String.split` with a literal separator: trailing empty strings are dropped. */
function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
