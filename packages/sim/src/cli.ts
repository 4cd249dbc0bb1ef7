#!/usr/bin/env node
/**
 * `dicer-sim`: the simulator's command line. Reads argv, runs, writes the report; the only module
 * of the package that touches `process` (argv, stdout/stderr, exit code) and the output files.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDicerError } from '@dicer-ts/common';
import { ProgressBar } from './report/progress-bar.js';
import { renderHtmlReport } from './report/html-report.js';
import { renderTable } from './report/terminal-table.js';
import { runScenario, runSweep, SWEEP_KNOBS, type SimulationResult, type SweepKnob } from './run-scenario.js';
import { BUILT_IN_SCENARIOS, builtInScenario } from './scenarios/built-in-scenarios.js';
import type { PolicySpec, Scenario } from './scenarios/scenario.js';
import { loadScenarioFile } from './scenarios/scenario-file.js';

/** Exit codes: 0 success, 1 a failure while running, 2 bad usage. */
export type ExitCode = 0 | 1 | 2;

const HELP = `dicer-sim: run dicer-ts's real assignment algorithm in virtual time, side by side with
consistent hashing, consistent hashing with bounded loads and static ranges.

Usage:
  dicer-sim list                                 list the built-in scenarios
  dicer-sim run   --scenario <name|file.json> [options]
  dicer-sim sweep --scenario <name|file.json> --knob <knob> --values <v1,v2,...> [options]
  dicer-sim --help

Options:
  --scenario <s>       a built-in scenario name (see list) or a scenario JSON file
  --policies <list>    comma-separated: dicer, consistent-hash, bounded-load, static
                       (default: the scenario's, else all four)
  --dicer-config <j>   JSON merged into the dicer policy's config, e.g.
                       '{"imbalanceToleranceHint":"tight","maxReplicas":3}'
  --seed <n>           override the scenario's seed
  --duration-min <m>   override the run's length (minutes)
  --out <dir>          where <scenario>.json and <scenario>.html go (default: report)
  --no-report          print the table only, write no files
  --deterministic      leave wall-clock timings out of the result (byte-identical reruns)
  --progress           draw the progress bar even when stderr is not a terminal
  --knob <k>           sweep: ${Object.keys(SWEEP_KNOBS).join(', ')}
  --values <list>      sweep: the knob's values (numbers)

Exit codes: 0 ok, 1 failure, 2 bad usage.`;

interface Io {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown; isTTY?: boolean };
  readonly cwd: string;
}

class UsageError extends Error {}

function parseArgs(args: readonly string[]): { command: string | undefined; flags: Map<string, string | true> } {
  const flags = new Map<string, string | true>();
  let command: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-h' || a === '--help') flags.set('help', true);
    else if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
      else if (['progress', 'deterministic', 'no-report'].includes(a.slice(2))) flags.set(a.slice(2), true);
      else {
        const v = args[i + 1];
        if (v === undefined) throw new UsageError(`${a} needs a value`);
        flags.set(a.slice(2), v);
        i++;
      }
    } else if (command === undefined) command = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  return { command, flags };
}

function str(flags: Map<string, string | true>, name: string): string | undefined {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

function loadScenario(flags: Map<string, string | true>, cwd: string): { scenario: Scenario; baseDir: string } {
  const name = str(flags, 'scenario');
  if (name === undefined) throw new UsageError('--scenario is required');
  let scenario: Scenario;
  let baseDir = cwd;
  if (name in BUILT_IN_SCENARIOS) scenario = builtInScenario(name);
  else if (name.endsWith('.json')) {
    const path = resolve(cwd, name);
    scenario = loadScenarioFile(path);
    baseDir = dirname(path);
  } else throw new UsageError(`unknown scenario ${name}; built-in: ${Object.keys(BUILT_IN_SCENARIOS).join(', ')}, or a .json file`);
  const policiesFlag = str(flags, 'policies');
  if (policiesFlag !== undefined) {
    const kinds = policiesFlag.split(',').map((k) => k.trim()).filter((k) => k !== '');
    const existing = scenario.policies ?? [];
    scenario = {
      ...scenario,
      policies: kinds.map((k) => existing.find((p) => p.kind === k) ?? ({ kind: k } as PolicySpec)),
    };
  }
  const dicerConfig = str(flags, 'dicer-config');
  if (dicerConfig !== undefined) {
    let extra: unknown;
    try {
      extra = JSON.parse(dicerConfig);
    } catch {
      throw new UsageError(`--dicer-config is not JSON: ${dicerConfig}`);
    }
    const policies = (scenario.policies ?? [{ kind: 'dicer' }, { kind: 'consistent-hash' }, { kind: 'bounded-load' }, { kind: 'static' }]).map((p) =>
      p.kind === 'dicer' ? { ...p, config: { ...p.config, ...(extra as object) } } : p,
    );
    scenario = { ...scenario, policies };
  }
  const seed = str(flags, 'seed');
  if (seed !== undefined) {
    if (!/^\d+$/.test(seed)) throw new UsageError(`--seed must be a non-negative integer, got ${seed}`);
    scenario = { ...scenario, seed: Number(seed) };
  }
  const duration = str(flags, 'duration-min');
  if (duration !== undefined) {
    const min = Number(duration);
    if (!(min > 0)) throw new UsageError(`--duration-min must be positive, got ${duration}`);
    scenario = { ...scenario, durationMs: min * 60_000 };
  }
  return { scenario, baseDir };
}

function writeReport(result: SimulationResult, flags: Map<string, string | true>, io: Io): void {
  io.stdout.write(`${renderTable(result)}\n`);
  if (flags.get('no-report') === true) return;
  const out = resolve(io.cwd, str(flags, 'out') ?? 'report');
  mkdirSync(out, { recursive: true });
  const base = result.sweep === undefined ? result.scenario.name : `${result.scenario.name}-sweep-${result.sweep.knob}`;
  const json = join(out, `${base}.json`);
  const html = join(out, `${base}.html`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(html, renderHtmlReport(result));
  io.stdout.write(`\nwrote ${json}\nwrote ${html}\n`);
}

/**
 * Runs the CLI with `args` (argv without node and the script); returns the exit code.
 */
export function main(args: readonly string[], io: Io = { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() }): ExitCode {
  try {
    const { command, flags } = parseArgs(args);
    if (flags.get('help') === true || command === undefined || command === 'help') {
      io.stdout.write(`${HELP}\n`);
      return command === undefined && flags.get('help') !== true ? 2 : 0;
    }
    if (command === 'list') {
      const width = Math.max(...Object.keys(BUILT_IN_SCENARIOS).map((n) => n.length));
      for (const [name, s] of Object.entries(BUILT_IN_SCENARIOS)) io.stdout.write(`${name.padEnd(width)}  ${s.description ?? ''}\n`);
      return 0;
    }
    if (command !== 'run' && command !== 'sweep') throw new UsageError(`unknown command ${command}`);
    const { scenario, baseDir } = loadScenario(flags, io.cwd);
    const showProgress = flags.get('progress') === true || io.stderr.isTTY === true;
    const bar = showProgress ? new ProgressBar(io.stderr) : undefined;
    const options = {
      deterministic: flags.get('deterministic') === true,
      baseDir,
      ...(bar === undefined ? {} : { onProgress: (f: number, policy: string) => bar.update(f, policy) }),
    };
    let result: SimulationResult;
    if (command === 'run') {
      result = runScenario(scenario, options);
    } else {
      const knob = str(flags, 'knob');
      const values = str(flags, 'values');
      if (knob === undefined || !(knob in SWEEP_KNOBS)) throw new UsageError(`--knob must be one of ${Object.keys(SWEEP_KNOBS).join(', ')}`);
      if (values === undefined) throw new UsageError('--values is required for sweep');
      const nums = values.split(',').map(Number);
      if (nums.some((v) => !Number.isFinite(v))) throw new UsageError(`--values must be numbers, got ${values}`);
      result = runSweep(scenario, knob as SweepKnob, nums, options);
    }
    bar?.done();
    writeReport(result, flags, io);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`dicer-sim: ${err.message}\nRun dicer-sim --help for usage.\n`);
      return 2;
    }
    if (isDicerError(err)) {
      io.stderr.write(`dicer-sim: ${(err as Error).message}\n`);
      return 2;
    }
    io.stderr.write(`dicer-sim: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
