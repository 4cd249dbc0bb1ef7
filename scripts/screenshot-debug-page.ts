/**
 * Takes the screenshot of the Assigner's debug page used by `docs/getting-started.md`.
 *
 * Starts the demo cluster (an Assigner, four cache servers and a load generator as separate
 * processes, exactly as `npm start` does, on a free debug port), turns the hot key on so the
 * picture shows a split-off, replicated key, waits until the assignment spreads over every pod and
 * the Assigner has recorded load, then asks Debian's headless Chromium for a PNG of the page and
 * stops everything.
 *
 * Run from the repository root:
 * ```sh
 * node --conditions=@dicer-ts/source --import tsx scripts/screenshot-debug-page.ts [out.png]
 * ```
 * The default output is `docs/images/debug-page.png`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { FailedPreconditionError, UnavailableError } from '@dicer-ts/common';
import { DemoCluster, type DebugJsonTarget } from '@dicer-ts/cache-demo';

/** Debian's Chromium; the script is meant for the CI image, which has it at this path. */
const CHROMIUM = '/usr/bin/chromium';
/** Cache servers in the picture: enough for the pods table to be interesting, few enough to read. */
const SERVERS = 4;
/** Give up if the cluster has not reached the wanted state by then (startup delay is 5 s). */
const SETTLE_TIMEOUT_MS = 90_000;
/** Poll period of the Assigner's `/debug/json`. */
const POLL_MS = 1_000;
/** Chromium normally finishes in a few seconds; a hung browser must not hang the script. */
const CHROMIUM_TIMEOUT_MS = 60_000;

const delay = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

/** Whether the assignment is worth a picture: every pod holds slices and has load, and a hot key is replicated. */
function isPictureReady(target: DebugJsonTarget | undefined, wantReplica: boolean): boolean {
  if (target === undefined) return false;
  const podsWithSlices = target.pods.filter((pod) => pod.sliceCount > 0 && pod.load > 0);
  if (podsWithSlices.length < SERVERS) return false;
  return !wantReplica || target.slices.some((slice) => slice.resources.length > 1);
}

/** Waits for {@link isPictureReady}; settles for a spread assignment without a replica if replication is slow. */
async function waitForPicture(cluster: DemoCluster): Promise<DebugJsonTarget> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const replicaDeadline = Date.now() + SETTLE_TIMEOUT_MS / 2;
  let hotKeyOn = false;
  for (;;) {
    const target = await cluster.debugTarget().catch(() => undefined);
    if (!hotKeyOn && target !== undefined && target.slices.length > 0) {
      // Only once the first assignment exists, so the hot key arrives as a change the Assigner reacts to.
      cluster.setHotKey(true);
      hotKeyOn = true;
    }
    if (isPictureReady(target, Date.now() < replicaDeadline)) return target!;
    if (Date.now() > deadline) {
      throw new UnavailableError(`the demo assignment did not spread over ${SERVERS} pods with load within ${SETTLE_TIMEOUT_MS} ms`);
    }
    await delay(POLL_MS);
  }
}

/** Runs headless Chromium on `url`, writing a 1280×900 PNG to `out`. */
async function screenshot(url: string, out: string): Promise<void> {
  const profile = mkdtempSync(join(tmpdir(), 'dicer-ts-chromium-'));
  try {
    await promisify(execFile)(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--window-size=1280,900',
        '--hide-scrollbars',
        `--screenshot=${out}`,
        url,
      ],
      { timeout: CHROMIUM_TIMEOUT_MS },
    );
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  if (statSync(out, { throwIfNoEntry: false })?.isFile() !== true) throw new UnavailableError(`chromium wrote no screenshot to ${out}`);
}

async function main(): Promise<void> {
  const out = resolve(process.argv[2] ?? 'docs/images/debug-page.png');
  if (statSync(CHROMIUM, { throwIfNoEntry: false }) === undefined) {
    throw new FailedPreconditionError(`${CHROMIUM} not found (on Debian: apt-get install -y chromium)`);
  }
  process.stdout.write(`Starting the demo cluster (${SERVERS} cache servers)…\n`);
  const cluster = await DemoCluster.start({ servers: SERVERS, debugPort: 0 });
  try {
    const target = await waitForPicture(cluster);
    const replicated = target.slices.filter((slice) => slice.resources.length > 1).length;
    process.stdout.write(`Assignment ${target.generation ?? '?'}: ${target.slices.length} slices on ${target.pods.length} pods, ${replicated} replicated\n`);
    await screenshot(`http://127.0.0.1:${cluster.debugPort}/`, out);
    process.stdout.write(`Wrote ${out}\n`);
  } finally {
    await cluster.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
