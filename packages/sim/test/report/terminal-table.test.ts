import assert from 'node:assert/strict';
import { ProgressBar } from '../../src/report/progress-bar.js';
import { renderTable } from '../../src/report/terminal-table.js';
import { runScenario } from '../../src/run-scenario.js';
import { tinyScenario } from '../tiny-scenarios.js';

describe('renderTable', () => {
  it('prints one aligned row per policy under the scenario line', () => {
    const result = runScenario(tinyScenario({ durationMs: 5 * 60_000, policies: [{ kind: 'static' }, { kind: 'consistent-hash' }] }), {
      deterministic: true,
    });
    const lines = renderTable(result).split('\n');
    assert.match(lines[0]!, /^scenario tiny: 8 pods, 5000 keys/);
    assert.match(lines[1]!, /^policy\s+max\/mean/);
    assert.match(lines[3]!, /^static\s+\d+\.\d\d/);
    assert.match(lines[4]!, /^consistent-hash\s+\d+\.\d\d/);
    assert.equal(new Set(lines.slice(1).map((l) => l.length)).size, 1, 'columns are aligned');
  });
});

describe('ProgressBar', () => {
  it('redraws only when the percentage or label changes, and clears its line', () => {
    const out: string[] = [];
    const bar = new ProgressBar({ write: (t: string) => out.push(t) }, 10);
    bar.update(0.5, 'dicer');
    bar.update(0.501, 'dicer');
    bar.update(0.52, 'dicer');
    bar.done();
    assert.equal(out.length, 3);
    assert.match(out[0]!, /^\r\[#####\.\.\.\.\.\]  50% dicer/);
    assert.match(out[2]!, /^\r\s+\r$/);
  });
});
