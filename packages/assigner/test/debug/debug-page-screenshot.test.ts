import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ManualClock, createTestSquid } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { pino } from 'pino';
import { Assigner } from '../../src/assigner.js';
import { podColour } from '../../src/debug/render-key-space.js';
import { RawWatchClient, sliceletRequest } from '../service/watch-client-helpers.js';
import { decodePng, hslToRgb } from './png.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
const PODS = ['https://pod-a:8080', 'https://pod-b:8080', 'https://pod-c:8080'];

describe('debug page in headless Chromium', function () {
  this.timeout(120_000);
  let assigner: Assigner;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dicer-screenshot-'));
    const clock = new ManualClock(1_735_689_600_000);
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 0,
      targets: { 'demo-cache': { maxLoadHint: 1000 } },
      clock,
      minGenerationIntervalMs: 0,
      unhealthyTimeoutMs: 5000,
      logger: pino({ level: 'silent' }),
    });
    const client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
    try {
      for (let i = 0; i < 8 && (assigner.generatorSnapshots()[0]?.latestAssignment?.assignedResources().length ?? 0) < 3; i++) {
        const calls = PODS.map((uri) => client.call(sliceletRequest('demo-cache', createTestSquid(uri))));
        await eventually(() => assigner.parkedWatchCalls() === PODS.length);
        clock.advance(2500);
        await Promise.all(calls);
      }
    } finally {
      client.close();
    }
    assert.equal(assigner.generatorSnapshots()[0]?.latestAssignment?.assignedResources().length, 3);
  });

  after(async () => {
    await assigner?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows every pod of the assignment in the key-space picture', async () => {
    assert.ok(CHROMIUM !== undefined, 'Debian chromium is needed for this test (apt-get install chromium)');
    const png = join(dir, 'page.png');
    await promisify(execFile)(
      CHROMIUM,
      ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1100,900', `--screenshot=${png}`,
        `http://127.0.0.1:${assigner.debugPort}/`],
      { timeout: 60_000 },
    );
    const image = decodePng(readFileSync(png));
    const pixelsOf = (pod: string): number => {
      const match = /hsl\((\d+), 65%, 45%\)/.exec(podColour(pod))!;
      const [r, g, b] = hslToRgb(Number(match[1]), 0.65, 0.45);
      let count = 0;
      for (let i = 0; i < image.pixels.length; i += 4) {
        if (Math.abs(image.pixels[i]! - r) <= 3 && Math.abs(image.pixels[i + 1]! - g) <= 3 && Math.abs(image.pixels[i + 2]! - b) <= 3) count++;
      }
      return count;
    };
    // The legend swatch alone is 12×12 px at full opacity.
    for (const pod of PODS) assert.ok(pixelsOf(pod) >= 100, `${pod} covers ${pixelsOf(pod)} px`);
    assert.ok(pixelsOf('https://not-assigned:8080') < 100, 'the check tells pods apart');
  });

});
