/**
 * The simulator's speed (issue #9): simulated requests per second of wall time for each policy on
 * the zipf-hotkey scenario shortened to 12 minutes (16 pods, 100,000 keys, 2,000 requests/s), and
 * the wall time of one Dicer algorithm round inside the simulation. Baseline in the same run: the
 * static-range policy, whose per-request work is only the simulator's own (routing, cache model,
 * metrics), so the ratio shows what each policy adds.
 */
import { builtInScenario, runScenario } from '@dicer-ts/sim';

const scenario = { ...builtInScenario('zipf-hotkey'), durationMs: 12 * 60_000 };
const rows: Record<string, string>[] = [];
let baselineNs = 0;
for (const kind of ['static', 'consistent-hash', 'bounded-load', 'dicer'] as const) {
  runScenario({ ...scenario, durationMs: 6 * 60_000, policies: [{ kind }] }); // warm-up
  const start = process.hrtime.bigint();
  const result = runScenario({ ...scenario, policies: [{ kind }] });
  const ns = Number(process.hrtime.bigint() - start);
  const requests = Math.round((scenario.durationMs / 1000) * 2000);
  const nsPerRequest = ns / requests;
  if (kind === 'static') baselineNs = nsPerRequest;
  const timing = result.policies[0]?.timing;
  rows.push({
    policy: kind,
    'simulated requests/s': Math.round(1e9 / nsPerRequest).toLocaleString('en-US'),
    'ns/request': nsPerRequest.toFixed(0),
    'ratio to static': `${(nsPerRequest / baselineNs).toFixed(2)}×`,
    'decisions (recorded)': String(timing?.decisions ?? 0),
    'mean ms/decision': timing === undefined ? '-' : timing.meanMs.toFixed(2),
    'max ms/decision': timing === undefined ? '-' : timing.maxMs.toFixed(2),
  });
}
console.table(rows);
