import { NotFoundError } from '@dicer-ts/common';
import { CRASH } from './crash.js';
import { ROLLING_RESTART } from './rolling-restart.js';
import { SCALE_OUT } from './scale-out.js';
import type { Scenario } from './scenario.js';
import { SLOW_POD } from './slow-pod.js';
import { UNIFORM } from './uniform.js';
import { ZIPF_HOTKEY } from './zipf-hotkey.js';
import { ZIPF_SKEW } from './zipf-skew.js';

/** The named scenarios `dicer-sim run --scenario <name>` knows. */
export const BUILT_IN_SCENARIOS: Readonly<Record<string, Scenario>> = Object.freeze({
  uniform: UNIFORM,
  'zipf-hotkey': ZIPF_HOTKEY,
  'zipf-skew': ZIPF_SKEW,
  'rolling-restart': ROLLING_RESTART,
  'scale-out': SCALE_OUT,
  crash: CRASH,
  'slow-pod': SLOW_POD,
});

/**
 * The built-in scenario `name`.
 *
 * @throws {NotFoundError} for an unknown name, listing the known ones.
 */
export function builtInScenario(name: string): Scenario {
  const s = BUILT_IN_SCENARIOS[name];
  if (s === undefined) throw new NotFoundError(`unknown scenario ${name}; built-in: ${Object.keys(BUILT_IN_SCENARIOS).join(', ')}`);
  return s;
}
