import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, proto } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { pino } from 'pino';
import { Assigner } from '../../src/assigner.js';
import { RawWatchClient, clerkRequest } from './watch-client-helpers.js';

describe('Assigner generator lifecycle (store-ha.md §1.4)', function () {
  this.timeout(60_000);
  let dir: string;
  let clock: ManualClock;
  let assigner: Assigner;
  let client: RawWatchClient;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dicer-lifecycle-'));
    await writeFile(join(dir, 'demo-cache.textproto'), 'default_config { primary_rate_metric_config { max_load_hint: 1000 } }');
    await writeFile(join(dir, 'demo-app.json'), JSON.stringify({ defaultConfig: { primaryRateMetricConfig: { maxLoadHint: 10 } } }));
    clock = new ManualClock(1_735_689_600_000);
    assigner = await Assigner.start({
      port: 0,
      host: '127.0.0.1',
      debugPort: 'disabled',
      targetConfigDirectory: dir,
      watchTargetConfigs: false,
      clock,
      logger: pino({ level: 'silent' }),
    });
    client = new RawWatchClient(`127.0.0.1:${assigner.port}`);
  });

  afterEach(async () => {
    client.close();
    await assigner.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One Clerk watch, released by advancing past the processing timeout. */
  async function watch(request: proto.ClientRequestP): Promise<void> {
    const before = assigner.parkedWatchCalls();
    const call = client.call(request);
    await eventually(() => assigner.parkedWatchCalls() > before);
    clock.advance(2500);
    assert.ok((await call).ok);
  }

  const targets = (): string[] => assigner.generatorSnapshots().map((s) => s.target.toString());

  it('creates a generator per target on the first watch, Kubernetes and App targets alike', async () => {
    assert.deepEqual(targets(), []);
    await watch(clerkRequest('demo-cache'));
    const app = clerkRequest('demo-app');
    app.target = proto.create(proto.ClientRequestP_TargetPSchema, {
      name: 'demo-app',
      targetType: proto.ClientRequestP_TargetP_Type.APP,
      instanceId: 'instance-a',
    });
    await watch(app);
    assert.deepEqual(targets(), ['appTarget:demo-app:instance-a', 'demo-cache']);
  });

  it('drops a generator that saw no watch for 300 s, within the next 60 s scan', async () => {
    await watch(clerkRequest('demo-cache'));
    clock.advance(290_000);
    assert.deepEqual(targets(), ['demo-cache']);
    clock.advance(70_000);
    assert.deepEqual(targets(), []);
    const metrics = await assigner.metrics.registry.getSingleMetricAsString('dicer_assigner_generators_removed_total');
    assert.match(metrics, /reason="GENERATOR_INACTIVITY"\} 1/);
  });

  it('keeps a generator that keeps being watched', async () => {
    for (let i = 0; i < 10; i++) {
      await watch(clerkRequest('demo-cache'));
      clock.advance(57_500);
    }
    assert.deepEqual(targets(), ['demo-cache']);
  });

  it('restarts a target\'s generator when its config changes', async () => {
    await watch(clerkRequest('demo-cache'));
    await watch(clerkRequest('demo-app'));
    await writeFile(join(dir, 'demo-cache.textproto'), 'default_config { primary_rate_metric_config { max_load_hint: 2000 } }');
    await assigner.reloadTargetConfigs();
    assert.deepEqual(targets(), ['demo-app']);
    await watch(clerkRequest('demo-cache'));
    const snapshot = assigner.generatorSnapshots().find((s) => s.target.toString() === 'demo-cache')!;
    assert.equal(snapshot.config.maxLoadHint, 2000);
  });
});
