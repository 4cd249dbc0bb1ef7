/**
 * Every relative link in README.md and docs/*.md points at a file that exists, and a `#fragment`
 * into a Markdown file names one of its headings (GitHub's anchor rules). Links inside code are
 * not links; absolute URLs are not checked (no network in tests).
 */
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The Markdown files whose links are checked, relative to the root. */
function documentationFiles(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

/** The text without fenced code blocks, whose lines are neither links nor headings. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text without fenced code blocks and inline code spans, so their brackets are not links. */
function withoutCode(markdown: string): string {
  return withoutFences(markdown).replace(/(`+)[^`\n]*?\1/g, '');
}

/** Targets of inline links and images (`[text](target)`, `![alt](target "title")`) and reference definitions. */
function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const targets: string[] = [];
  for (const match of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(match[1]!);
  for (const match of text.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)) targets.push(match[1]!);
  return targets;
}

/** GitHub's anchors for the headings of a Markdown file (lower case, punctuation dropped, spaces to `-`, duplicates numbered). */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const match of withoutFences(markdown).matchAll(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/gm)) {
    const base = match[1]!
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The broken relative links of `file` (a path relative to `root`), each as `target: reason`. */
function brokenLinks(root: string, file: string, markdown: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(markdown)) {
    // Absolute URLs (http:, https:, mailto:, …) are outside this check.
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const hash = target.indexOf('#');
    const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash)).split('?')[0]!;
    const fragment = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === '' ? join(root, file) : resolve(root, dirname(file), pathPart);
    if (!existsSync(resolved)) {
      broken.push(`${target}: no such file`);
      continue;
    }
    if (fragment !== undefined && fragment !== '' && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      // A bare `#fragment` points into this very text (which may not be saved yet).
      const headings = headingAnchors(pathPart === '' ? markdown : readFileSync(resolved, 'utf8'));
      if (!headings.has(fragment)) broken.push(`${target}: no heading #${fragment}`);
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('checks README.md, docs/index.md and the other pages', () => {
    const files = documentationFiles();
    assert.ok(files.includes('docs/index.md'), 'docs/index.md is missing');
    assert.ok(files.length > 2, `only ${files.join(', ')} found`);
  });

  for (const file of documentationFiles()) {
    it(`${file} has no broken relative link`, () => {
      assert.deepEqual(brokenLinks(ROOT, file, readFileSync(join(ROOT, file), 'utf8')), []);
    });
  }

  it('reports a missing file and a missing heading, and ignores links in code and absolute URLs', () => {
    const sample = [
      '# Guide',
      'See [the index](docs/index.md), [gone](docs/no-such-page.md) and [here](#guide).',
      '![picture](docs/images/missing.png) [bad anchor](README.md#no-such-heading)',
      '[web](https://example.com/x.md) `[code](missing.md)`',
      '```',
      '[fenced](missing-too.md)',
      '```',
      '[ref]: docs/absent.md',
    ].join('\n');
    assert.deepEqual(brokenLinks(ROOT, 'README.md', sample), [
      'docs/no-such-page.md: no such file',
      'docs/images/missing.png: no such file',
      'README.md#no-such-heading: no heading #no-such-heading',
      'docs/absent.md: no such file',
    ]);
  });

  it('makes heading anchors as GitHub does', () => {
    const anchors = headingAnchors('# The Clerk SDK\n## 1. On one machine\n## Fields of `TargetConfigP`\n## Cost\n## Cost\n');
    assert.deepEqual([...anchors], ['the-clerk-sdk', '1-on-one-machine', 'fields-of-targetconfigp', 'cost', 'cost-1']);
  });
});
