import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/** The closed set of component names that appear as `component` on every log line. */
export type Component =
  | 'assigner'
  | 'watch-service'
  | 'subscriber-hub'
  | 'generator'
  | 'store'
  | 'preferred-assigner'
  | 'debug-server'
  | 'slicelet'
  | 'clerk'
  | 'watch-client'
  | 'sim';

const debugComponents: ReadonlySet<string> = new Set(
  (process.env['DICER_DEBUG'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
);

/**
 * Makes the child logger a long-lived component keeps, raised to `debug` when `DICER_DEBUG` names
 * the component (or says `all`).
 */
export function componentLogger(parent: Logger, component: Component, bindings: Record<string, unknown> = {}): Logger {
  const child = parent.child({ component, ...bindings });
  if (debugComponents.has('all') || debugComponents.has(component)) child.level = 'debug';
  return child;
}

/** The default logger of an embedded SDK: pino at `warn`, quiet unless something is wrong. */
export function createDefaultLogger(level: pino.LevelWithSilent = 'warn'): Logger {
  return pino({ level });
}
