import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// npm ci links workspace bins before `prepare` builds dist/, and skips a bin whose file is missing;
// so each bin must be a committed launcher whose dist/ import maps to a source file tsc compiles.
describe('workspace bins', () => {
  const workspaces = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  for (const workspace of workspaces) {
    const manifest = JSON.parse(readFileSync(join(root, workspace, 'package.json'), 'utf8')) as {
      bin?: Record<string, string>;
      files?: string[];
    };
    for (const [name, target] of Object.entries(manifest.bin ?? {})) {
      it(`${name} (${workspace}) is a committed launcher of a compiled source file`, () => {
        const launcher = join(root, workspace, target);
        assert.ok(existsSync(launcher), `${launcher} is missing`);
        assert.ok(!target.includes('dist/'), `${name} points into dist/, which does not exist when npm links bins`);
        const imported = /from '(\.\.\/dist\/[^']+)'|import '(\.\.\/dist\/[^']+)'/.exec(readFileSync(launcher, 'utf8'));
        assert.ok(imported, `${launcher} imports nothing from dist/`);
        const distPath = (imported[1] ?? imported[2]) as string;
        const source = join(dirname(launcher), distPath).replace('/dist/', '/src/').replace(/\.js$/, '.ts');
        assert.ok(existsSync(source), `${distPath} has no source ${source}`);
        assert.ok(manifest.files?.includes(target.replace(/^\.\//, '').split('/')[0] as string), `${target} is not in "files"`);
      });
    }
  }
});
