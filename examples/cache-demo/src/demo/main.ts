/**
 * `npm start`: the dicer-ts demo. Starts an Assigner, the cache servers and a load generator as
 * separate processes (see {@link DemoCluster}), redraws the live view every second, and runs the
 * `--hot-key` / `--rolling-restart` scripts. Stops cleanly on Ctrl-C or after `--duration`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDicerError } from '@dicer-ts/common';
import { DemoCluster } from './demo-cluster.js';
import { type DemoOptions, demoHelpText, parseDemoCommandLine } from './demo-options.js';
import { type EtcdHandle, startEtcd } from '@dicer-ts/test-harness';
import { LiveView } from './live-view.js';
import { renderView } from './terminal-view.js';

/** Warm-up before the scripted scenarios begin. */
const WARM_UP_MS = 10_000;
/** How long the hot key stays on. */
const HOT_KEY_ON_MS = 60_000;
/** Pause between two restarts of a rolling restart. */
const RESTART_GAP_MS = 5_000;

const delay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

async function run(options: DemoOptions): Promise<void> {
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'dicer-ts-demo-'));
  let etcd: EtcdHandle | undefined;
  if (options.etcd) {
    // The same throwaway etcd the tests use: `etcd` from PATH, free loopback ports, a temp dir.
    etcd = await startEtcd();
  }
  process.stdout.write(`Starting the Assigner, ${options.servers} cache servers and the load generator (logs in ${logDir})…\n`);
  const cluster = await DemoCluster.start({
    servers: options.servers,
    debugPort: options.debugPort,
    rate: options.rate,
    keys: options.keys,
    zipf: options.zipf,
    logDir,
    etcdEndpoints: etcd === undefined ? undefined : [etcd.endpoint],
  });
  const view = new LiveView(cluster, etcd === undefined ? 'in-memory' : 'etcd');
  const stopping = new AbortController();
  let activity: string | undefined;
  const redraw = !options.plain && process.stdout.isTTY === true;

  const stop = (): void => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (options.durationMs !== undefined) setTimeout(stop, options.durationMs).unref();

  const scripts: Promise<void>[] = [];
  if (options.hotKey) {
    scripts.push(
      (async () => {
        await delay(WARM_UP_MS, stopping.signal);
        if (stopping.signal.aborted) return;
        cluster.setHotKey(true);
        view.note('hot key ON: "hot-key" takes 40 % of requests');
        activity = 'hot key on';
        await delay(HOT_KEY_ON_MS, stopping.signal);
        if (stopping.signal.aborted) return;
        cluster.setHotKey(false);
        view.note('hot key off');
        activity = undefined;
      })(),
    );
  }
  if (options.rollingRestart) {
    scripts.push(
      (async () => {
        await delay(WARM_UP_MS, stopping.signal);
        for (let round = 1; !stopping.signal.aborted; round++) {
          for (const slot of [...cluster.servers]) {
            if (stopping.signal.aborted) return;
            activity = `rolling restart round ${round}: draining ${slot.name}`;
            view.note(`restart ${slot.name} (drain, then a new incarnation on port ${slot.port})`);
            await cluster.restartServer(slot, 'SIGTERM');
            activity = `rolling restart round ${round}: ${slot.name} back`;
            await delay(RESTART_GAP_MS, stopping.signal);
          }
        }
      })(),
    );
  }

  while (!stopping.signal.aborted) {
    const frame = renderView(await view.frame(activity));
    process.stdout.write(redraw ? `\x1b[H\x1b[2J${frame}` : `${frame}\n`);
    await delay(1_000, stopping.signal);
  }
  // The figures before stopping: Ctrl-C reaches every child at once, so requests in flight then
  // fail against servers that are closing, which says nothing about the system.
  const last = cluster.loadGenerator?.latestStats;
  process.stdout.write('\nStopping…\n');
  await cluster.close();
  await Promise.allSettled(scripts);
  await etcd?.stop();
  if (last !== undefined) {
    process.stdout.write(
      `Before stopping: ${last.succeeded} requests succeeded, ${last.failed} failed, ${last.misdirected} misdirected, hit rate ${((100 * last.hits) / Math.max(1, last.hits + last.misses)).toFixed(1)} %.\n`,
    );
  }
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseDemoCommandLine(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${demoHelpText()}`);
    process.exitCode = 2;
    return;
  }
  if (command.kind === 'help') {
    process.stdout.write(demoHelpText());
    return;
  }
  try {
    await run(command.options);
  } catch (err) {
    process.stderr.write(`demo: ${isDicerError(err) ? err.message : String((err as Error).message ?? err)}\n`);
    process.exitCode = 1;
  }
}

void main();
