import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder of Dicer's conformance vectors: `$DICER_VECTORS_DIR`, else `../shared/vectors` beside
 * the repository root (where CI lays it out).
 *
 * @throws Error when the folder is missing: a test that needs a vector must fail, never skip.
 */
export function vectorsDir(): string {
  const fromEnv = process.env['DICER_VECTORS_DIR'];
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = fromEnv ?? resolve(here, '../../../../shared/vectors');
  if (!existsSync(dir)) {
    throw new Error(
      `conformance vectors not found at ${dir}: lay out shared/ beside the repository ` +
        '(../shared/vectors) or set DICER_VECTORS_DIR',
    );
  }
  return dir;
}

/** Reads and parses one vector file, e.g. `loadVector('slice_key_test_data.json')`. */
export function loadVector<T = Record<string, unknown>>(file: string): T {
  const path = join(vectorsDir(), file);
  if (!existsSync(path)) throw new Error(`conformance vector file missing: ${path}`);
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
