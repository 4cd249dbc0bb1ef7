/**
 * Highly available Assigners under a rolling restart: 3 Assigners on one real etcd in
 * preferred-assigner mode (one preferred, two standbys redirecting watchers to it), 4 cache servers
 * and a load generator, each a process. Every Slicelet and the Clerk are configured with one
 * standby's address (never killed) and follow its redirect to the preferred Assigner. While the
 * second server drains, the preferred Assigner gets `kill -9`: a standby takes over, the draining
 * server's slices still move, and the rollout goes on. No request may fail, misdirected requests
 * stay under 1 % (the plain rolling-restart bound), a new preferred Assigner serves within 5 s, and
 * no Slicelet or Clerk ever sees its assignment generation go backwards.
 */
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_CONFIG_DIR, DEMO_TARGET, DemoProcess, fetchDebugTarget } from '@dicer-ts/cache-demo';
import type { CacheServerStats, DebugJsonTarget, LoadGeneratorStats } from '@dicer-ts/cache-demo';
import { type EtcdHandle, eventually, freePort, startEtcd } from '@dicer-ts/test-harness';
import { E2E_CLUSTER_OPTIONS as O, hitRate, loadWindow, printFigures } from './scenario-support.js';

/** Stats lines (250 ms each) of steady traffic between two restarts, as in the plain rolling restart. */
const PACING_STATS_LINES = 8;
/** The server (by index) whose drain the preferred Assigner's death interrupts. */
const KILL_DURING_RESTART_OF = 1;
const ASSIGNER_ENTRY = fileURLToPath(new URL('./ha-assigner-process.ts', import.meta.url));
const LOG_DIR = O.logDir;

interface AssignerProc {
  readonly name: string;
  readonly port: number;
  readonly debugPort: number;
  readonly process: DemoProcess;
}

interface ServerProc {
  readonly name: string;
  port: number;
  process: DemoProcess<CacheServerStats>;
}

/** `<inc>#<num> (…)` → a comparable pair; undefined for '' (no assignment yet). */
function parseGeneration(text: string): readonly [bigint, bigint] | undefined {
  const m = /^(\d+)#(\d+)/.exec(text);
  return m === null ? undefined : [BigInt(m[1]!), BigInt(m[2]!)];
}

function compareGeneration(a: readonly [bigint, bigint], b: readonly [bigint, bigint]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] === b[1] ? 0 : a[1] < b[1] ? -1 : 1;
}

/** Whether the Assigner's `/metrics` reports the preferred role (false when it does not answer). */
async function isPreferred(a: AssignerProc): Promise<boolean> {
  if (!a.process.isRunning) return false;
  try {
    const response = await fetch(`http://127.0.0.1:${a.debugPort}/metrics`, { signal: AbortSignal.timeout(1_000) });
    return /^dicer_assigner_preferred_assigner_role_gauge\{role="PREFERRED"\} 1$/m.test(await response.text());
  } catch {
    return false;
  }
}

function logFile(name: string): string | undefined {
  return LOG_DIR === undefined ? undefined : join(LOG_DIR, `${name}.log`);
}

describe('rolling restart with 3 Assigners on etcd, preferred Assigner killed (e2e, real processes)', function () {
  this.timeout(90_000);
  let etcd: EtcdHandle | undefined;
  const assigners: AssignerProc[] = [];
  const servers: ServerProc[] = [];
  let load: DemoProcess<LoadGeneratorStats> | undefined;

  afterEach(async () => {
    await load?.stop('SIGINT');
    await Promise.all(servers.map((s) => s.process.stop('SIGINT')));
    await Promise.all(assigners.map((a) => a.process.stop('SIGTERM')));
    await etcd?.stop();
    assigners.length = 0;
    servers.length = 0;
    load = undefined;
    etcd = undefined;
  });

  it('restarts every server with no failed request while a standby replaces the killed preferred Assigner', async () => {
    etcd = await startEtcd();
    const common = [`--etcd-endpoints=${etcd.endpoint}`, '--namespace-prefix=e2e-ha', `--log-level=warn`];
    const bootstrap = DemoProcess.spawnScript('ha-bootstrap', ASSIGNER_ENTRY, ['bootstrap', ...common], logFile('ha-bootstrap'));
    assert.equal((await bootstrap.exited).code, 0, 'the etcd namespaces are bootstrapped');

    const startAssigner = async (i: number): Promise<AssignerProc> => {
      const port = await freePort();
      const name = `assigner-${i}`;
      const process = DemoProcess.spawnScript(
        name,
        ASSIGNER_ENTRY,
        [
          ...common,
          `--port=${port}`,
          `--config-dir=${DEMO_CONFIG_DIR}`,
          `--advanced-config-dir=${join(DEMO_CONFIG_DIR, 'advanced')}`,
          `--unhealthy-timeout-ms=${O.unhealthyTimeoutMs}`,
          `--min-generation-interval-ms=${O.minGenerationIntervalMs}`,
          `--load-balancing-interval-ms=${O.loadBalancingIntervalMs}`,
          `--suggested-rpc-timeout-ms=${O.watchTimeoutMs}`,
          // Failover after 3 unanswered 500 ms heartbeats (docs/operations.md §6 shortened).
          '--heartbeat-interval-ms=500',
          '--heartbeat-failure-threshold=3',
        ],
        logFile(name),
      );
      const ready = await process.ready;
      return { name, port, debugPort: ready.debugPort!, process };
    };
    assigners.push(...(await Promise.all([0, 1, 2].map(startAssigner))));
    const preferredOnes = async (): Promise<AssignerProc[]> => {
      const roles = await Promise.all(assigners.map(isPreferred));
      return assigners.filter((_, i) => roles[i]);
    };
    const first = (await eventually(async () => {
      const p = await preferredOnes();
      return p.length === 1 ? p[0] : false;
    }, { timeoutMs: 20_000, intervalMs: 100, description: 'one preferred Assigner' }))!;
    // Everyone is configured with a standby that is never killed and follows its redirect.
    const entry = assigners.find((a) => a !== first)!;
    const entryAddress = `127.0.0.1:${entry.port}`;

    // Generations each Slicelet incarnation and the Clerk saw, in order.
    const generationRegressions: string[] = [];
    let generationsSeen = 0;
    const watchGenerations = (name: string, p: DemoProcess<CacheServerStats> | DemoProcess<LoadGeneratorStats>): void => {
      let last: readonly [bigint, bigint] | undefined;
      p.onStats((stats: CacheServerStats | LoadGeneratorStats) => {
        const g = parseGeneration(stats.generation);
        if (g === undefined) return;
        generationsSeen++;
        if (last !== undefined && compareGeneration(g, last) < 0) generationRegressions.push(`${name}: ${last.join('#')} -> ${g.join('#')}`);
        last = g;
      });
    };
    const spawnServer = (name: string, port: number): DemoProcess<CacheServerStats> => {
      const p = DemoProcess.spawn<CacheServerStats>(
        name,
        'cache-server',
        [
          `--assigner=${entryAddress}`,
          `--port=${port}`,
          `--stats-interval-ms=${O.statsIntervalMs}`,
          `--watch-timeout-ms=${O.watchTimeoutMs}`,
          `--drain-grace-ms=${O.drainGraceMs}`,
          `--load-half-life-seconds=${O.loadHalfLifeSeconds}`,
          '--log-level=warn',
        ],
        logFile(name),
      );
      watchGenerations(name, p);
      return p;
    };
    await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const process = spawnServer(`cache-${i}`, 0);
        servers.push({ name: `cache-${i}`, port: (await process.ready).port!, process });
      }),
    );
    servers.sort((a, b) => a.name.localeCompare(b.name));

    let preferred = first;
    const debugTarget = (): Promise<DebugJsonTarget | undefined> => fetchDebugTarget(preferred.debugPort, DEMO_TARGET);
    const waitForAllServersAssigned = (): Promise<unknown> =>
      eventually(
        async () => {
          const target = await debugTarget();
          return target !== undefined && servers.every((s) => target.slices.some((sl) => sl.resources.some((r) => r.endsWith(`:${s.port}`))));
        },
        { timeoutMs: 20_000, intervalMs: 100, description: 'every server to hold slices' },
      );
    await waitForAllServersAssigned();

    load = DemoProcess.spawn<LoadGeneratorStats>(
      'load-generator',
      'load-generator',
      [`--watch=${entryAddress}`, `--rate=${O.rate}`, `--keys=${O.keys}`, '--zipf=0.8', '--max-attempts=4', `--stats-interval-ms=${O.statsIntervalMs}`, '--log-level=warn'],
      logFile('load-generator'),
    );
    watchGenerations('load-generator', load);
    await load.ready;
    const loadProcess = load;
    const nextLoadStats = (): Promise<LoadGeneratorStats> =>
      new Promise((resolve) => {
        const stop = loadProcess.onStats((stats) => {
          stop();
          resolve(stats);
        });
      });
    const waitLines = async (lines: number): Promise<void> => {
      for (let i = 0; i < lines; i++) await nextLoadStats();
    };
    // A short warm-up so the caches hold something before the rollout.
    await waitLines(PACING_STATS_LINES);

    const start = await nextLoadStats();
    let failoverMs = -1;
    let killedGeneration: readonly [bigint, bigint] | undefined;
    let drainingSlicesAtKill = -1;
    let resumedGeneration: readonly [bigint, bigint] | undefined;
    for (const [index, slot] of servers.entries()) {
      const exited = slot.process.stop('SIGTERM');
      if (index === KILL_DURING_RESTART_OF) {
        // The drain has begun (TERMINATING is on its way to the preferred Assigner): kill it now.
        const atKill = await debugTarget();
        killedGeneration = parseGeneration(atKill?.generation ?? '');
        // Slices the draining server still held: > 0 means the killed Assigner never moved them.
        drainingSlicesAtKill = atKill?.slices.filter((sl) => sl.resources.some((r) => r.endsWith(`:${slot.port}`))).length ?? -1;
        const killedAt = Date.now();
        await preferred.process.stop('SIGKILL');
        const killed = preferred;
        preferred = (await eventually(
          async () => {
            const p = (await preferredOnes()).filter((a) => a !== killed);
            if (p.length !== 1) return false;
            // Serving: it has the target's assignment (read back from etcd or generated anew).
            const target = await fetchDebugTarget(p[0]!.debugPort, DEMO_TARGET).catch(() => undefined);
            return target?.generation === undefined ? false : p[0];
          },
          { timeoutMs: 20_000, intervalMs: 50, description: 'a new preferred Assigner serving' },
        ))!;
        failoverMs = Date.now() - killedAt;
        resumedGeneration = parseGeneration((await debugTarget())?.generation ?? '');
      }
      await exited;
      slot.process = spawnServer(slot.name, slot.port);
      await slot.process.ready;
      // Paced as the plain rolling restart: the new incarnation holds slices, then 2 s of traffic.
      await waitForAllServersAssigned();
      await waitLines(PACING_STATS_LINES);
    }
    const end = await nextLoadStats();
    const during = loadWindow(start, end);
    const finalGeneration = parseGeneration((await debugTarget())?.generation ?? '');

    const misdirectedShare = during.misdirected / Math.max(1, during.requests);
    printFigures('ha-rolling-restart', {
      assigners: 3,
      servers: servers.length,
      killed: `${assigners.find((a) => !a.process.isRunning)?.name}(while ${servers[KILL_DURING_RESTART_OF]!.name} drained)`,
      newPreferred: preferred.name,
      drainingSlicesAtKill,
      failoverMs,
      requests: during.requests,
      failed: during.failed,
      retries: during.retries,
      misdirectedPct: 100 * misdirectedShare,
      seconds: during.seconds,
      hitRateDuring: hitRate(during),
      generationsChecked: generationsSeen,
      generationAtKill: killedGeneration?.join('#') ?? '',
      generationAfterFailover: resumedGeneration?.join('#') ?? '',
      generationAtEnd: finalGeneration?.join('#') ?? '',
    });
    assert.ok(during.requests > 0);
    assert.equal(during.failed, 0, 'no request fails');
    assert.ok(misdirectedShare < 0.01, `misdirected ${(100 * misdirectedShare).toFixed(2)} % < 1 %`);
    assert.ok(failoverMs <= 5_000, `a new preferred Assigner serves ${failoverMs} ms after the kill (≤ 5 s)`);
    assert.deepEqual(generationRegressions, [], 'no Slicelet or Clerk sees its generation go backwards');
    assert.ok(killedGeneration !== undefined && resumedGeneration !== undefined && finalGeneration !== undefined);
    assert.ok(compareGeneration(resumedGeneration, killedGeneration) >= 0, 'the new preferred Assigner does not serve an older generation');
    assert.ok(compareGeneration(finalGeneration, resumedGeneration) > 0, 'the new preferred Assigner generates after the takeover');
  });
});
