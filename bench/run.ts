/**
 * Runs the benchmarks: every `bench/*.bench.ts`, or those whose name contains an argument
 * (`npm run bench -- lookup`). Each file runs in this process, one after another.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cpus } from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
console.log(`node ${process.version} on ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores)`);
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(', ')}`);
  process.exit(1);
}
for (const f of files) {
  console.log(`\n== ${f}`);
  await import(pathToFileURL(`${here}/${f}`).href);
}
