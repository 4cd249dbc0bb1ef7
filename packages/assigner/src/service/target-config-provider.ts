/**
 * The target configs an Assigner serves, keyed by target **name** (store-ha.md §4.1: a config is
 * shared by every cluster and instance of that name). Dicer's `StaticTargetConfigProvider`, plus
 * reloading on change.
 *
 * Sources: a directory of `<target>.textproto` (Dicer's `TargetConfigP` text format) or
 * `<target>.json` files (proto JSON of the same message), an optional advanced directory of
 * `AdvancedTargetConfigP` files with the same names, and configs given inline by embedders.
 * Other files are ignored. A missing directory is a warning (no targets); a path that is not a
 * directory is an error.
 *
 * Loading: at start every error (bad file, the same target in two formats, an advanced file with
 * no target file) fails the start, as in Dicer. After that, the directories are watched
 * (`fs.watch`, debounced); on a reload a bad file keeps the target's last good config, is logged at
 * `error` and counted (`onReloadError`); good changes are applied and reported to `on('change')`
 * listeners with the names of the targets added, changed or removed, so their generators restart.
 *
 * @see store-ha.md §4.3
 */
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, NotFoundError, type Logger, type proto } from '@dicer-ts/common';
import {
  configFileFormat,
  parseAdvancedTargetConfig,
  parseTargetConfig,
  resolveTargetConfig,
  targetNameOfConfigFile,
  type TargetConfig,
} from '../core/target-config.js';

/** Debounce of directory change events before a reload. */
export const DEFAULT_CONFIG_RELOAD_DEBOUNCE_MS = 250;

/** One target's effective config and where it came from. */
export interface LoadedTargetConfig {
  /** The target name (the file's base name). */
  readonly name: string;
  /** The effective config. */
  readonly config: TargetConfig;
  /** `'inline'`, or the file path(s) it was read from. */
  readonly source: string;
  /** The source text (for the debug page); empty for inline configs. */
  readonly text: string;
}

/** Options of {@link TargetConfigProvider.create}. */
export interface TargetConfigProviderOptions {
  /** Directory of `<target>.textproto` / `.json` files. @default none */
  readonly directory?: string | undefined;
  /** Directory of advanced configs with the same file names. @default none */
  readonly advancedDirectory?: string | undefined;
  /** Configs given directly, by target name; a directory file of the same name is an error. @default {} */
  readonly inline?: Readonly<Record<string, TargetConfig>>;
  /** The Assigner's cluster URI, to pick per-cluster overrides. @default none */
  readonly clusterUri?: string | undefined;
  /** Whether to watch the directories for changes. @default true */
  readonly watch?: boolean;
  /** Debounce of change events. @default {@link DEFAULT_CONFIG_RELOAD_DEBOUNCE_MS} */
  readonly reloadDebounceMs?: number;
  /** Where load and reload problems are logged. */
  readonly logger: Logger;
  /** Called with each error of a reload (the target keeps its last good config). */
  readonly onReloadError?: (err: Error) => void;
}

/** What changed in a reload. */
export interface TargetConfigChange {
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
}

/** The outcome of reading a directory: the good configs, and the errors by target name. */
interface ReadResult {
  readonly configs: Map<string, LoadedTargetConfig>;
  readonly errors: Map<string, Error>;
}

/**
 * The set of target configs, reloaded on change.
 *
 * @example
 * ```ts
 * const provider = await TargetConfigProvider.create({ directory: '/etc/dicer/targets', logger });
 * provider.on('change', ({ changed, removed }) => restartGenerators([...changed, ...removed]));
 * provider.require('demo-cache');
 * ```
 */
export class TargetConfigProvider extends EventEmitter {
  private configs: Map<string, LoadedTargetConfig>;
  private readonly options: TargetConfigProviderOptions;
  private readonly watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(options: TargetConfigProviderOptions, configs: Map<string, LoadedTargetConfig>) {
    super();
    this.options = options;
    this.configs = configs;
  }

  /**
   * Loads every config and starts watching the directories.
   *
   * @throws {InvalidArgumentError} for a bad file, a target defined twice, an advanced config
   *   without a target config, or a path that is not a directory.
   */
  static async create(options: TargetConfigProviderOptions): Promise<TargetConfigProvider> {
    const result = await readAll(options);
    const first = result.errors.values().next();
    if (!first.done) throw first.value;
    const provider = new TargetConfigProvider(options, result.configs);
    if (options.watch ?? true) provider.startWatching();
    return provider;
  }

  /** The config of target `name`, or `undefined` when there is none. */
  get(name: string): LoadedTargetConfig | undefined {
    return this.configs.get(name);
  }

  /**
   * The config of target `name`.
   *
   * @throws {NotFoundError} `Unknown target: <name>` (Dicer's text) when there is none.
   */
  require(name: string): LoadedTargetConfig {
    const config = this.configs.get(name);
    if (config === undefined) throw new NotFoundError(`Unknown target: ${name}`);
    return config;
  }

  /** Every configured target name, sorted. */
  names(): string[] {
    return [...this.configs.keys()].sort();
  }

  /**
   * Re-reads the directories now. Targets whose file is bad keep their last good config; the
   * errors are logged and passed to `onReloadError`. Emits `change` when something changed.
   */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.reloadNow());
    return this.reloading;
  }

  /** Stops watching; idempotent. */
  close(): void {
    this.closed = true;
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
  }

  /** Listens for reloads that changed something. */
  override on(event: 'change', listener: (change: TargetConfigChange) => void): this {
    return super.on(event, listener);
  }

  private async reloadNow(): Promise<void> {
    if (this.closed) return;
    let result: ReadResult;
    try {
      result = await readAll(this.options);
    } catch (err) {
      this.reportError(err as Error);
      return;
    }
    const next = new Map(result.configs);
    for (const [name, err] of result.errors) {
      this.reportError(err);
      const previous = this.configs.get(name);
      if (previous !== undefined) next.set(name, previous);
    }
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    for (const [name, loaded] of next) {
      const previous = this.configs.get(name);
      if (previous === undefined) added.push(name);
      else if (JSON.stringify(previous.config) !== JSON.stringify(loaded.config)) changed.push(name);
    }
    for (const name of this.configs.keys()) if (!next.has(name)) removed.push(name);
    this.configs = next;
    if (added.length + changed.length + removed.length > 0) {
      this.options.logger.info({ added, changed, removed }, 'target configs reloaded');
      this.emit('change', { added, changed, removed } satisfies TargetConfigChange);
    }
  }

  private reportError(err: Error): void {
    this.options.logger.error({ err }, 'target config reload failed; keeping the last good config');
    this.options.onReloadError?.(err);
  }

  private startWatching(): void {
    for (const dir of [this.options.directory, this.options.advancedDirectory]) {
      if (dir === undefined || dir === '') continue;
      try {
        const watcher = watch(dir, { persistent: false }, () => this.scheduleReload());
        watcher.on('error', (err) => this.options.logger.warn({ err, dir }, 'target config directory watch failed'));
        this.watchers.push(watcher);
      } catch (err) {
        this.options.logger.warn({ err, dir }, 'cannot watch target config directory');
      }
    }
  }

  private scheduleReload(): void {
    if (this.closed) return;
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.reload();
    }, this.options.reloadDebounceMs ?? DEFAULT_CONFIG_RELOAD_DEBOUNCE_MS);
    this.debounce.unref();
  }
}

/** Reads the config files of `dir` by target name; a missing directory is empty. */
async function listConfigFiles(dir: string, logger: Logger): Promise<Map<string, string[]>> {
  const byName = new Map<string, string[]>();
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      logger.warn({ dir }, 'target config directory does not exist; no targets from it');
      return byName;
    }
    throw new InvalidArgumentError(`cannot read target config directory ${dir}: ${(err as Error).message}`);
  }
  if (!info.isDirectory()) throw new InvalidArgumentError(`target config directory ${dir} is not a directory`);
  for (const file of (await readdir(dir)).sort()) {
    const name = targetNameOfConfigFile(file);
    if (name === undefined || file.startsWith('.')) continue;
    byName.set(name, [...(byName.get(name) ?? []), join(dir, file)]);
  }
  return byName;
}

async function readAll(options: TargetConfigProviderOptions): Promise<ReadResult> {
  const configs = new Map<string, LoadedTargetConfig>();
  const errors = new Map<string, Error>();
  for (const [name, config] of Object.entries(options.inline ?? {})) {
    configs.set(name, { name, config, source: 'inline', text: '' });
  }
  const main = options.directory ? await listConfigFiles(options.directory, options.logger) : new Map<string, string[]>();
  const advanced = options.advancedDirectory
    ? await listConfigFiles(options.advancedDirectory, options.logger)
    : new Map<string, string[]>();
  for (const [name, files] of advanced) {
    if (!main.has(name)) errors.set(name, new InvalidArgumentError(`advanced target config ${files[0]} has no matching target config file`));
  }
  for (const [name, files] of main) {
    try {
      if (configs.has(name)) throw new InvalidArgumentError(`target ${name} is configured both inline and in ${files[0]}`);
      if (files.length > 1) throw new InvalidArgumentError(`target ${name} is configured by more than one file: ${files.join(', ')}`);
      const file = files[0] as string;
      const text = await readFile(file, 'utf8');
      const targetConfig = parseTargetConfig(file, text, configFileFormat(file));
      let advancedConfig: proto.AdvancedTargetConfigP | undefined;
      const advancedFiles = advanced.get(name);
      if (advancedFiles !== undefined) {
        if (advancedFiles.length > 1) {
          throw new InvalidArgumentError(`target ${name} has more than one advanced config file: ${advancedFiles.join(', ')}`);
        }
        const advancedFile = advancedFiles[0] as string;
        advancedConfig = parseAdvancedTargetConfig(advancedFile, await readFile(advancedFile, 'utf8'), configFileFormat(advancedFile));
      }
      const config = resolveTargetConfig({
        targetConfig,
        ...(advancedConfig === undefined ? {} : { advancedConfig }),
        ...(options.clusterUri === undefined ? {} : { clusterUri: options.clusterUri }),
        sourceName: file,
      });
      configs.set(name, { name, config, source: file, text });
    } catch (err) {
      errors.set(name, err instanceof Error ? err : new InvalidArgumentError(String(err)));
    }
  }
  return { configs, errors };
}
