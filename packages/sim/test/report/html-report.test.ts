import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderHtmlReport } from '../../src/report/html-report.js';
import { runSweep, type SimulationResult } from '../../src/run-scenario.js';
import { tinyScenario } from '../tiny-scenarios.js';

const CHROMIUM = '/usr/bin/chromium';

/** Loads a file in headless Chromium and returns the DOM after rendering (and a screenshot). */
function renderInChromium(htmlPath: string, dir: string): { dom: string; screenshot: string } {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  const common = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    `--user-data-dir=${join(dir, 'profile')}`,
  ];
  const url = pathToFileURL(htmlPath).href;
  const dump = spawnSync(CHROMIUM, [...common, '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(dump.status, 0, `chromium --dump-dom failed: ${dump.stderr}`);
  const screenshot = join(dir, 'report.png');
  const shot = spawnSync(CHROMIUM, [...common, `--screenshot=${screenshot}`, '--window-size=1100,2000', url], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(shot.status, 0, `chromium --screenshot failed: ${shot.stderr}`);
  return { dom: dump.stdout, screenshot };
}

describe('renderHtmlReport', () => {
  let dir: string;
  let result: SimulationResult;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dicer-sim-report-'));
    result = runSweep(
      tinyScenario({ durationMs: 5 * 60_000, policies: [{ kind: 'dicer' }, { kind: 'consistent-hash' }] }),
      'tolerance',
      [0.025, 0.4],
      { deterministic: true },
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('renders in headless Chromium from a file, with the summary table and every chart as SVG', () => {
    const html = renderHtmlReport(result);
    assert.doesNotMatch(html, /<script(?! type="application\/json")/, 'no executable script');
    assert.doesNotMatch(html, /(src|href)="https?:/, 'nothing fetched');
    const path = join(dir, 'report.html');
    writeFileSync(path, html);
    const { dom, screenshot } = renderInChromium(path, dir);
    const policies = result.policies.length; // consistent-hash + 2 sweep points
    assert.equal(policies, 3);
    // imbalance ×2, churn bars, cumulative churn, cache, misrouted, one load-per-pod per policy, the trade-off curve
    const svgs = dom.match(/<svg[^>]*class="chart"/g) ?? [];
    assert.equal(svgs.length, 6 + policies + 1);
    assert.match(dom, /<table id="summary">/);
    assert.equal((dom.match(/<tr>/g) ?? []).length, policies + 1);
    assert.match(dom, /trade-off: imbalance against churn/);
    assert.ok((dom.match(/<path class="series/g) ?? []).length >= policies * 3, 'line series drawn');
    assert.ok((dom.match(/<circle class="series/g) ?? []).length >= 3, 'sweep points drawn');
    assert.ok(statSync(screenshot).size > 10_000, 'the screenshot has content');
  });
});
