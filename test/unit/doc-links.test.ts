// Relative links in the committed Markdown files (README.md, ARCHITECTURE.md, docs/**, the READMEs of
// test/ and bench/) point at files that exist, and their #anchors at headings of the linked page.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

/** The Markdown files git tracks; outside a git checkout, README.md, ARCHITECTURE.md and docs/. */
function markdownFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z', '--', '*.md'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  } catch {
    const docs = fs.readdirSync(path.join(REPO_ROOT, 'docs'), { recursive: true }).map((f) => path.join('docs', String(f)));
    return ['README.md', 'ARCHITECTURE.md', ...docs.filter((f) => f.endsWith('.md'))];
  }
}

/** The text without fenced code blocks. */
function withoutFences(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text without fenced code blocks and inline code, where brackets are not links. */
function prose(text: string): string {
  return withoutFences(text).replace(/`[^`\n]*`/g, '');
}

/** Link targets: inline `[text](target "title")`, images, and reference definitions `[id]: target`. */
export function linkTargets(markdown: string): string[] {
  const text = prose(markdown);
  const inline = [...text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]);
  const references = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm)].map((m) => m[1]);
  return [...inline, ...references];
}

/** GitHub's anchors for a page's headings (lower case, punctuation dropped, spaces to dashes, -1 for repeats). */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  // A heading's inline code counts (GitHub anchors ## `zdm verify [FILE...]` as zdm-verify-file).
  for (const m of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = m[1]
      .toLowerCase()
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]);
  return anchors;
}

/** The broken relative links of one Markdown file (relative to the repository root), as "target: why". */
export function brokenLinks(file: string, read: (file: string) => string | undefined): string[] {
  const text = read(file);
  if (text === undefined) return [`${file}: cannot be read`];
  const broken: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, vscode: ...
    const hash = target.indexOf('#');
    const pathPart = decodeURIComponent(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), pathPart.replace(/\/$/, '')));
    if (resolved.startsWith('..') || path.posix.isAbsolute(pathPart)) {
      broken.push(`${target}: outside the repository`);
      continue;
    }
    const linked = read(resolved);
    const isDir = linked === undefined && fs.existsSync(path.join(REPO_ROOT, resolved)) && fs.statSync(path.join(REPO_ROOT, resolved)).isDirectory();
    if (linked === undefined && !isDir) {
      broken.push(`${target}: ${resolved} does not exist`);
      continue;
    }
    if (anchor && linked !== undefined && resolved.endsWith('.md') && !headingAnchors(linked).has(anchor)) broken.push(`${target}: ${resolved} has no heading #${anchor}`);
  }
  return broken;
}

function readRepoFile(file: string): string | undefined {
  const full = path.join(REPO_ROOT, file);
  return fs.existsSync(full) && fs.statSync(full).isFile() ? fs.readFileSync(full, 'utf8') : undefined;
}

describe('documentation links', () => {
  it('finds links and anchors as GitHub renders them', () => {
    const page = '# Use it in CI\n## Tracking tables\n## Tracking tables\nSee [a](b.md#use-it-in-ci), ![i](img/x.png "t") and `[not](code.md)`.\n```\n[nor](fenced.md)\n```\n[ref]: ./c.md\n';
    assert.deepEqual(linkTargets(page), ['b.md#use-it-in-ci', 'img/x.png', './c.md']);
    assert.deepEqual([...headingAnchors(page)], ['use-it-in-ci', 'tracking-tables', 'tracking-tables-1']);
    const files: Record<string, string> = { 'docs/a.md': '[x](../README.md#quick-start) [y](b.md) [z](rules/gone.md) [w](#nowhere)', 'README.md': '## Quick start\n', 'docs/b.md': '' };
    assert.deepEqual(brokenLinks('docs/a.md', (f) => files[f]), ['rules/gone.md: docs/rules/gone.md does not exist', '#nowhere: docs/a.md has no heading #nowhere']);
  });

  const files = markdownFiles();
  it('covers README.md, ARCHITECTURE.md and docs/', () => {
    for (const f of ['README.md', 'ARCHITECTURE.md', 'docs/runner.md']) assert.ok(files.includes(f), f);
  });

  for (const file of files) {
    it(`${file}: every relative link points at an existing file (and heading)`, () => {
      assert.deepEqual(brokenLinks(file, readRepoFile), []);
    });
  }
});
