import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@dicer-ts/common';
import type { Scenario } from './scenario.js';

const TOP_LEVEL_KEYS = new Set([
  'name',
  'description',
  'seed',
  'durationMs',
  'warmupMs',
  'sampleIntervalMs',
  'pods',
  'network',
  'workload',
  'events',
  'policies',
]);

/**
 * Parses a scenario written as JSON. Unknown top-level keys are errors (a typo must not silently
 * fall back to a default); the fields are checked by `resolveScenario` when the scenario runs.
 *
 * @throws {InvalidArgumentError} for malformed JSON or an unknown key.
 */
export function parseScenarioJson(text: string, source = 'scenario'): Scenario {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError(`${source} must hold a JSON object`);
  for (const key of Object.keys(value)) {
    if (!TOP_LEVEL_KEYS.has(key)) throw new InvalidArgumentError(`${source} has an unknown key ${key}`);
  }
  return value as Scenario;
}

/** Reads and parses a scenario file (see {@link parseScenarioJson}). */
export function loadScenarioFile(path: string): Scenario {
  return parseScenarioJson(readFileSync(path, 'utf8'), path);
}
