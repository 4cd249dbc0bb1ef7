import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@dicer-ts/common';
import { eventually } from '@dicer-ts/test-harness';
import { pino } from 'pino';
import { TargetConfigProvider, type TargetConfigChange } from '../../src/service/target-config-provider.js';

const logger = pino({ level: 'silent' });
const DEMO = `# demo-cache config
owner_team_name: "caching"
default_config {
  primary_rate_metric_config {
    max_load_hint: 50000
    imbalance_tolerance_hint: TIGHT
  }
}
`;
const JSON_CONFIG = JSON.stringify({ defaultConfig: { primaryRateMetricConfig: { maxLoadHint: 1000 }, keyReplicationConfig: { minReplicas: 1, maxReplicas: 3 } } });

describe('TargetConfigProvider', () => {
  let dir: string;
  let provider: TargetConfigProvider | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dicer-configs-'));
  });

  afterEach(async () => {
    provider?.close();
    provider = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  describe('create', () => {
    it('loads textproto and JSON configs by file name and ignores other files', async () => {
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO);
      await writeFile(join(dir, 'other-app.json'), JSON_CONFIG);
      await writeFile(join(dir, 'README.md'), '# not a config');
      provider = await TargetConfigProvider.create({ directory: dir, logger, watch: false });
      assert.deepEqual(provider.names(), ['demo-cache', 'other-app']);
      const demo = provider.require('demo-cache').config;
      assert.equal(demo.maxLoadHint, 50000);
      assert.equal(demo.imbalanceToleranceHint, 'tight');
      assert.equal(demo.ownerTeamName, 'caching');
      assert.equal(provider.require('other-app').config.maxReplicas, 3);
    });

    it('treats a missing directory as no targets', async () => {
      provider = await TargetConfigProvider.create({ directory: join(dir, 'absent'), logger, watch: false });
      assert.deepEqual(provider.names(), []);
    });

    it('rejects a path that is not a directory', async () => {
      await writeFile(join(dir, 'file'), 'x');
      await assert.rejects(TargetConfigProvider.create({ directory: join(dir, 'file'), logger, watch: false }), /is not a directory/);
    });

    it('fails the start on a bad file, naming the file', async () => {
      await writeFile(join(dir, 'broken.textproto'), 'default_config { primary_rate_metric_config { max_load_hint: -1 } }');
      await assert.rejects(
        TargetConfigProvider.create({ directory: dir, logger, watch: false }),
        (err: unknown) => err instanceof InvalidArgumentError && err.message.includes('broken.textproto'),
      );
    });

    it('rejects a target defined by two files', async () => {
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO);
      await writeFile(join(dir, 'demo-cache.json'), JSON_CONFIG);
      await assert.rejects(TargetConfigProvider.create({ directory: dir, logger, watch: false }), /more than one file/);
    });

    it('rejects an advanced config without a target config', async () => {
      const advanced = join(dir, 'advanced');
      await mkdir(advanced);
      await writeFile(join(advanced, 'lonely.textproto'), '');
      await assert.rejects(
        TargetConfigProvider.create({ directory: dir, advancedDirectory: advanced, logger, watch: false }),
        /no matching target config/,
      );
    });

    it('applies an advanced config with the same name', async () => {
      const advanced = join(dir, 'advanced');
      await mkdir(advanced);
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO);
      await writeFile(join(advanced, 'demo-cache.textproto'), 'default_config { health_watcher_config { observe_slicelet_readiness: true } }');
      provider = await TargetConfigProvider.create({ directory: dir, advancedDirectory: advanced, logger, watch: false });
      assert.equal(provider.require('demo-cache').config.observeSliceletReadiness, true);
    });
  });

  describe('require', () => {
    it('rejects an unknown target with NOT_FOUND and Dicer\'s text', async () => {
      provider = await TargetConfigProvider.create({ directory: dir, logger, watch: false });
      assert.throws(
        () => provider!.require('nope'),
        (err: unknown) => err instanceof NotFoundError && err.message === 'Unknown target: nope',
      );
    });
  });

  describe('reload', () => {
    it('reports added, changed and removed targets', async () => {
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO);
      await writeFile(join(dir, 'gone.json'), JSON_CONFIG);
      provider = await TargetConfigProvider.create({ directory: dir, logger, watch: false });
      const changes: TargetConfigChange[] = [];
      provider.on('change', (c) => changes.push(c));
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO.replace('50000', '60000'));
      await unlink(join(dir, 'gone.json'));
      await writeFile(join(dir, 'fresh.json'), JSON_CONFIG);
      await provider.reload();
      assert.deepEqual(changes, [{ added: ['fresh'], changed: ['demo-cache'], removed: ['gone'] }]);
      assert.equal(provider.require('demo-cache').config.maxLoadHint, 60000);
    });

    it('keeps the last good config when a file turns bad, and reports the error', async () => {
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO);
      const errors: Error[] = [];
      provider = await TargetConfigProvider.create({ directory: dir, logger, watch: false, onReloadError: (e) => errors.push(e) });
      await writeFile(join(dir, 'demo-cache.textproto'), 'default_config { nonsense: 1 }');
      await provider.reload();
      assert.equal(errors.length, 1);
      assert.match(errors[0]!.message, /demo-cache\.textproto/);
      assert.equal(provider.require('demo-cache').config.maxLoadHint, 50000);
    });

    it('does not emit when nothing changed', async () => {
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO);
      provider = await TargetConfigProvider.create({ directory: dir, logger, watch: false });
      let emitted = 0;
      provider.on('change', () => emitted++);
      await provider.reload();
      assert.equal(emitted, 0);
    });

    it('reloads on its own when a file in the watched directory changes', async () => {
      await writeFile(join(dir, 'demo-cache.textproto'), DEMO);
      provider = await TargetConfigProvider.create({ directory: dir, logger, reloadDebounceMs: 20 });
      await writeFile(join(dir, 'new-target.json'), JSON_CONFIG);
      await eventually(() => provider!.get('new-target') !== undefined, { timeoutMs: 5000 });
    });
  });
});
