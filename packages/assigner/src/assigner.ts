/**
 * The Assigner process as an object: wiring only (store-ha.md §1.1). `Assigner.start` loads the
 * target configs, creates the store, the per-target registry (generators and subscriber hubs), the
 * gRPC server with `/dicer.AssignmentService/Watch`, and the debug server; `close()` undoes it in
 * reverse order. Preferred-assigner mode is not part of this issue: the Assigner serves every
 * target itself and answers with an empty redirect (Dicer's default).
 *
 * @see store-ha.md §1.1–1.4
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { type Logger, MAX_MESSAGE_BYTES, PREFERRED_ASSIGNER_SERVICE_DEFINITION, UnavailableError, componentLogger } from '@dicer-ts/common';
import { type AssignerOptions, type ResolvedAssignerOptions, resolveAssignerOptions } from './assigner-options.js';
import { DebugServer } from './debug/debug-server.js';
import { type DebugSnapshot, toDebugPreferredAssigner, toDebugTarget } from './debug/debug-snapshot.js';
import { AssignerMetrics, targetLabels } from './debug/metrics.js';
import { TargetConfigProvider } from './service/target-config-provider.js';
import { TargetRegistry } from './service/target-registry.js';
import type { GeneratorSnapshot } from './service/generator-driver.js';
import { RAW_ASSIGNMENT_SERVICE_DEFINITION, type WatchServiceOptions, createWatchService } from './service/watch-service.js';
import { InMemoryStore } from './store/in-memory-store.js';
import { EtcdStore } from './store/etcd-store.js';
import type { Store } from './store/store.js';

/**
 * A running Assigner.
 *
 * @example
 * ```ts
 * const assigner = await Assigner.start({
 *   port: 24500,
 *   targetConfigDirectory: './configs',      // demo-cache.textproto, …
 *   targets: { 'demo-cache': { maxLoadHint: 50_000, imbalanceToleranceHint: 'tight' } },
 * });
 * console.log(assigner.address);             // "0.0.0.0:24500"
 * await assigner.close();
 * ```
 */
export class Assigner {
  /** The resolved options it runs with. */
  readonly options: ResolvedAssignerOptions;
  /** The bound gRPC port. */
  readonly port: number;
  /** The bound debug port, or `undefined` when the debug server is disabled. */
  readonly debugPort: number | undefined;
  /** Its metrics (one registry per Assigner). */
  readonly metrics: AssignerMetrics;
  /** The store it writes through. */
  readonly store: Store;
  private readonly server: Server;
  private readonly debugServer: DebugServer | undefined;
  private readonly configs: TargetConfigProvider;
  private readonly targets: TargetRegistry;
  private readonly log: Logger;
  private readonly startedAtMs: number;
  private readonly ownsStore: boolean;
  private closing: Promise<void> | undefined;

  private constructor(parts: {
    options: ResolvedAssignerOptions;
    port: number;
    debugServer: DebugServer | undefined;
    metrics: AssignerMetrics;
    store: Store;
    ownsStore: boolean;
    server: Server;
    configs: TargetConfigProvider;
    targets: TargetRegistry;
    log: Logger;
  }) {
    this.options = parts.options;
    this.port = parts.port;
    this.debugServer = parts.debugServer;
    this.debugPort = parts.debugServer?.port;
    this.metrics = parts.metrics;
    this.store = parts.store;
    this.ownsStore = parts.ownsStore;
    this.server = parts.server;
    this.configs = parts.configs;
    this.targets = parts.targets;
    this.log = parts.log;
    this.startedAtMs = parts.options.clock.nowMs();
  }

  /**
   * Starts an Assigner and resolves once both servers listen.
   *
   * @throws {InvalidArgumentError} for a bad option or a bad target config file.
   * @throws {UnavailableError} when a port cannot be bound.
   */
  static async start(options: AssignerOptions = {}): Promise<Assigner> {
    const resolved = resolveAssignerOptions(options);
    const log = componentLogger(resolved.logger, 'assigner');
    const metrics = new AssignerMetrics();
    const configs = await TargetConfigProvider.create({
      directory: resolved.targetConfigDirectory,
      advancedDirectory: resolved.advancedTargetConfigDirectory,
      inline: resolved.targets,
      clusterUri: resolved.clusterUri,
      watch: resolved.watchTargetConfigs,
      logger: log,
      onReloadError: () => metrics.configReloadErrors.inc(),
    });
    const ownsStore = resolved.store === 'memory';
    const store: Store =
      resolved.store === 'memory' ? new InMemoryStore({ storeIncarnation: resolved.storeIncarnation, clock: resolved.clock }) : resolved.store;
    const targets = new TargetRegistry({
      store,
      clock: resolved.clock,
      logger: resolved.logger,
      metrics,
      timing: {
        unhealthyTimeoutMs: resolved.unhealthyTimeoutMs,
        terminatingTimeoutMs: resolved.terminatingTimeoutMs,
        minGenerationIntervalMs: resolved.minGenerationIntervalMs,
        loadBalancingIntervalMs: resolved.loadBalancingIntervalMs,
        allowTopKeys: resolved.allowTopKeys,
        stateTransferTimeoutMs: resolved.stateTransferTimeoutMs,
      },
      generatorInactivityDeadlineMs: resolved.generatorInactivityDeadlineMs,
      generatorInactivityScanIntervalMs: resolved.generatorInactivityScanIntervalMs,
      sliceletSuggestedRpcTimeoutMs: resolved.sliceletSuggestedRpcTimeoutMs,
      clerkSuggestedRpcTimeoutMs: resolved.clerkSuggestedRpcTimeoutMs,
      maxParkedCallsPerTarget: resolved.maxParkedCallsPerTarget,
      // Preferred-assigner mode (issue #5): the preferred Assigner names itself in every reply.
      ...(resolved.preferredAssigner === undefined ? {} : { redirectAddress: () => resolved.preferredAssigner?.self.uri }),
    });
    configs.on('change', ({ changed, removed }) => {
      for (const name of [...changed, ...removed]) targets.removeByName(name, 'TARGET_CONFIG_CHANGE');
    });

    const server = new Server({
      'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
    });
    server.addService(
      RAW_ASSIGNMENT_SERVICE_DEFINITION,
      createWatchService({
        configs,
        targets,
        metrics,
        logger: resolved.logger,
        clusterUri: resolved.clusterUri,
        standby: standbyView(resolved),
      }),
    );
    // Preferred-assigner mode (issue #5): Heartbeat RPC on the same port; generators only while preferred.
    const preferredAssigner = resolved.preferredAssigner;
    if (preferredAssigner !== undefined) {
      server.addService(PREFERRED_ASSIGNER_SERVICE_DEFINITION, preferredAssigner.heartbeatService());
      preferredAssigner.onRoleChange((role) => {
        if (role.role === 'standby') for (const name of configs.names()) targets.removeByName(name, 'PREFERRED_ASSIGNER_CHANGE');
        metrics.preferredAssignerRole.reset();
        metrics.preferredAssignerRole.set({ role: role.role === 'standby' ? 'STANDBY' : role.redirectUri === undefined ? 'PREFERRED_BECAUSE_PA_DISABLED' : 'PREFERRED' }, 1);
        metrics.preferredAssignerKnownGeneration.set(Number(role.value.generation.number));
      });
      preferredAssigner.observe((event) => {
        if (event.kind === 'heartbeat') metrics.standbyHeartbeats.inc({ outcome: event.outcome });
        else metrics.preferredAssignerWriteLatency.observe({ outcome: event.outcome }, event.latencySeconds);
      });
    }
    // The etcd store's corruption counter (issue #5).
    if (store instanceof EtcdStore) {
      store.addCorruptionListener((target, errorCode) => metrics.etcdStoreCorruptions.inc({ ...targetLabels(target), errorCode }));
    }
    const credentials =
      resolved.tls === undefined
        ? ServerCredentials.createInsecure()
        : ServerCredentials.createSsl(
            resolved.tls.clientCaCerts ?? null,
            [{ cert_chain: resolved.tls.certChain, private_key: resolved.tls.privateKey }],
            resolved.tls.clientCaCerts !== undefined,
          );
    let port: number;
    let debugServer: DebugServer | undefined;
    try {
      port = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`${bracketIpv6(resolved.host)}:${resolved.port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
      });
    } catch (err) {
      targets.close();
      configs.close();
      if (ownsStore) await store.close();
      throw new UnavailableError(`cannot listen on ${resolved.host}:${resolved.port}: ${(err as Error).message}`, { cause: err });
    }
    // The instance exists before the debug server so that its snapshot callback can read it.
    let assigner: Assigner | undefined;
    if (resolved.debugPort !== 'disabled') {
      try {
        debugServer = await DebugServer.start({
          host: resolved.debugHost,
          port: resolved.debugPort,
          metrics,
          logger: resolved.logger,
          beforeScrape: () => targets.updateSubscriberGauge(),
          snapshot: () => (assigner as Assigner).debugSnapshot(),
        });
      } catch (err) {
        server.forceShutdown();
        targets.close();
        configs.close();
        if (ownsStore) await store.close();
        throw new UnavailableError(`cannot listen on ${resolved.debugHost}:${resolved.debugPort}: ${(err as Error).message}`, { cause: err });
      }
    }
    assigner = new Assigner({ options: resolved, port, debugServer, metrics, store, ownsStore, server, configs, targets, log });
    log.info(
      { port, debugPort: debugServer?.port, targets: configs.names(), tls: resolved.tls !== undefined, store: ownsStore ? 'memory' : 'custom' },
      'assigner started',
    );
    return assigner;
  }

  /** `host:port` of the gRPC server. */
  get address(): string {
    return `${bracketIpv6(this.options.host)}:${this.port}`;
  }

  /** The names of every configured target. */
  configuredTargets(): string[] {
    return this.configs.names();
  }

  /** Snapshots of every running generator (for tests and the debug page). */
  generatorSnapshots(): GeneratorSnapshot[] {
    return this.targets.snapshots();
  }

  /** Watch calls parked (long-polling) right now, over all targets. */
  parkedWatchCalls(): number {
    return this.targets.parkedCalls();
  }

  /** The debug page's data. */
  debugSnapshot(): DebugSnapshot {
    const nowMs = this.options.clock.nowMs();
    return {
      assigner: {
        grpcAddress: this.address,
        storeIncarnation: this.store.storeIncarnation.toString(),
        startedAtMs: this.startedAtMs,
        nowMs,
      },
      preferredAssigner: toDebugPreferredAssigner(this.options.preferredAssigner?.role),
      configuredTargets: this.configs.names(),
      targets: this.targets.snapshots().map((g) => toDebugTarget(g, nowMs)),
    };
  }

  /** Re-reads the target config directories now (they are also watched). */
  reloadTargetConfigs(): Promise<void> {
    return this.configs.reload();
  }

  /**
   * Stops: releases parked watchers with their current generation, shuts down generators, stops
   * both servers and closes the store it created. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  /** Same as {@link Assigner.close}. */
  stop(): Promise<void> {
    return this.close();
  }

  private async doClose(): Promise<void> {
    // Preferred-assigner mode (issue #5): hand over before draining (store-ha §3.6).
    await this.options.preferredAssigner?.terminate();
    this.configs.close();
    this.targets.close();
    await new Promise<void>((resolve) => {
      // Parked calls were answered by the hubs; give in-flight replies a moment, then force.
      const timer = setTimeout(() => this.server.forceShutdown(), 1000);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await this.debugServer?.close();
    if (this.ownsStore) await this.store.close();
    this.log.info('assigner stopped');
  }
}

function bracketIpv6(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The Watch service's view of the preferred-assigner role (issue #5): `undefined` while this
 * Assigner serves (mode disabled, or preferred), else where to redirect clients.
 */
function standbyView(resolved: ResolvedAssignerOptions): WatchServiceOptions['standby'] {
  const driver = resolved.preferredAssigner;
  if (driver === undefined) return undefined;
  const suggestedRpcTimeoutMs = (kind: 'slicelet' | 'clerk') =>
    kind === 'clerk' ? resolved.clerkSuggestedRpcTimeoutMs : resolved.sliceletSuggestedRpcTimeoutMs;
  return () => (driver.role.role === 'standby' ? { redirectUri: driver.role.redirectUri, suggestedRpcTimeoutMs } : undefined);
}
