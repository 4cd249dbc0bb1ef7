import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli.js';
import { tinyScenario } from './tiny-scenarios.js';

function capture(): { io: Parameters<typeof main>[1] & object; out: () => string; err: () => string; cwd: string } {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = mkdtempSync(join(tmpdir(), 'dicer-sim-cli-'));
  return {
    io: { stdout: { write: (t: string) => out.push(t) }, stderr: { write: (t: string) => err.push(t), isTTY: false }, cwd },
    out: () => out.join(''),
    err: () => err.join(''),
    cwd,
  };
}

describe('dicer-sim CLI', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('prints usage for --help and exits 0', () => {
    const c = capture();
    dirs.push(c.cwd);
    assert.equal(main(['--help'], c.io), 0);
    assert.match(c.out(), /Usage:\n {2}dicer-sim list/);
  });

  it('exits 2 with a hint on bad usage', () => {
    const c = capture();
    dirs.push(c.cwd);
    assert.equal(main(['run'], c.io), 2);
    assert.match(c.err(), /--scenario is required/);
    assert.equal(main(['run', '--scenario', 'no-such'], c.io), 2);
    assert.match(c.err(), /unknown scenario no-such; built-in: uniform, zipf-hotkey/);
  });

  it('lists the built-in scenarios', () => {
    const c = capture();
    dirs.push(c.cwd);
    assert.equal(main(['list'], c.io), 0);
    for (const name of ['uniform', 'zipf-hotkey', 'rolling-restart', 'scale-out', 'crash']) assert.match(c.out(), new RegExp(`^${name} `, 'm'));
  });

  it('runs a scenario file and writes the table, the JSON result and the HTML report', () => {
    const c = capture();
    dirs.push(c.cwd);
    writeFileSync(join(c.cwd, 'tiny.json'), JSON.stringify(tinyScenario({ durationMs: 5 * 60_000 })));
    const code = main(['run', '--scenario', 'tiny.json', '--policies', 'static,consistent-hash', '--out', 'out', '--deterministic'], c.io);
    assert.equal(code, 0, c.err());
    assert.match(c.out(), /^static\s/m);
    assert.match(c.out(), /^consistent-hash\s/m);
    const json = JSON.parse(readFileSync(join(c.cwd, 'out', 'tiny.json'), 'utf8')) as { policies: { policy: string }[] };
    assert.deepEqual(json.policies.map((p) => p.policy), ['static', 'consistent-hash']);
    assert.ok(existsSync(join(c.cwd, 'out', 'tiny.html')));
    assert.equal(c.err(), '', 'no progress bar when stderr is not a terminal');
  });

  it('rejects a scenario file with an unknown key', () => {
    const c = capture();
    dirs.push(c.cwd);
    writeFileSync(join(c.cwd, 'bad.json'), JSON.stringify({ ...tinyScenario(), podz: 3 }));
    assert.equal(main(['run', '--scenario', 'bad.json', '--no-report'], c.io), 2);
    assert.match(c.err(), /unknown key podz/);
  });

  it('sweeps a knob and draws a progress bar when asked', () => {
    const c = capture();
    dirs.push(c.cwd);
    writeFileSync(join(c.cwd, 'tiny.json'), JSON.stringify(tinyScenario({ durationMs: 5 * 60_000, policies: [{ kind: 'dicer' }] })));
    const code = main(['sweep', '--scenario', 'tiny.json', '--knob', 'replicas', '--values', '1,2', '--no-report', '--progress'], c.io);
    assert.equal(code, 0, c.err());
    assert.match(c.out(), /sweep of replicas:/);
    assert.match(c.err(), /100% dicer replicas=2/);
  });
});
