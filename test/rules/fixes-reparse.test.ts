// Fixes as data. Two suites:
//
// 1. Every fix offered on a rule fixture (test/fixtures/rules) is applied and the result parsed again:
//    a quick-fix must never turn a migration into SQL that PostgreSQL rejects (squawk tests its fixes
//    the same way).
// 2. Fix fixtures: test/fixtures/fixes/<rule-id>/<case>.sql, each with one finding of the rule. The fix
//    (the first, or the one whose title starts with the directive's "fix") is applied, files it creates
//    or edits included, and the result must equal <case>.fixed.sql. Then the file is linted again: the
//    rule no longer fires, every statement parses with the real PostgreSQL grammar, no error-level
//    finding appears that was not there before (in the file or in the files the fix wrote), and the
//    rule offers nothing more to apply (applying the fix twice changes nothing).
//
// A fix fixture may start with a directive line:
//   -- fixture: {"path": "000002_x.up.sql", "files": {...}, "pgVersion": 11, "config": {...}, "fix": "Move to"}

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import type { Fix, LintResult } from '../../server/src/engine/model';
import { registry } from '../../server/src/engine/rules/registry';
import { initParser, lintSql, VIRTUAL_ROOT, type LintSqlOptions } from '../helpers/lint';
import { FIXTURES, REPO_ROOT } from '../helpers/paths';
import { matchSnapshot } from '../helpers/snapshot';

before(() => initParser());

function readFixture(file: string): { sql: string; options: LintSqlOptions & { fix?: string } } {
  const sql = fs.readFileSync(file, 'utf8');
  const m = /^-- fixture: (\{.*\})\s*\n/.exec(sql);
  const options: LintSqlOptions & { fix?: string } = m ? JSON.parse(m[1]) : {};
  if (!options.path && !options.format && !/^--\s*(migrate:|\+goose\s)/im.test(sql)) options.format = 'plain';
  return { sql, options };
}

describe('fixes re-parse', () => {
  const root = path.join(FIXTURES, 'rules');
  for (const dir of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
    for (const name of fs.readdirSync(path.join(root, dir)).filter((f) => f.endsWith('.sql') && !f.startsWith('valid')).sort()) {
      it(`${dir}/${name}`, () => {
        const { sql, options } = readFixture(path.join(root, dir, name));
        const result = lintSql(sql, options);
        for (const finding of result.findings.filter((f) => f.rule === dir)) {
          for (const fix of finding.fixes ?? []) {
            const own = fix.edits.filter((e) => e.path === undefined);
            const applied = applyEdits(sql, own);
            assert.ok(applied.ok, `${fix.title}: ${applied.ok ? '' : applied.reason}`);
            if (!applied.ok) continue;
            const again = lintSql(applied.text, options);
            const broken = again.findings.filter((f) => f.rule === 'syntax-error');
            assert.deepEqual(broken.map((f) => f.message), [], `"${fix.title}" produced SQL that does not parse:\n${applied.text}`);
          }
        }
      });
    }
  }
});

// ── Fix fixtures ─────────────────────────────────────────────────────────────────────────────────────

const FIX_ROOT = path.join(FIXTURES, 'fixes');

/** The file a fixture is linted as, and the folder its other files live in. */
function fixturePaths(options: LintSqlOptions): { file: string; dir: string } {
  const probe = lintSql('', options);
  return { file: probe.document.path, dir: path.dirname(probe.document.path) };
}

interface Applied {
  text: string;
  /** Every other file after the fix, by absolute path. */
  files: Map<string, string>;
  /** The files the fix created or edited, by absolute path. */
  touched: Map<string, 'created' | 'edited'>;
}

/** Applies one fix to the fixture's file and the files beside it. */
function applyFix(sql: string, fix: Fix, options: LintSqlOptions, dir: string): Applied {
  const files = new Map(Object.entries(options.files ?? {}).map(([name, text]) => [path.resolve(dir, name), text]));
  const touched = new Map<string, 'created' | 'edited'>();
  const own = applyEdits(sql, fix.edits.filter((e) => e.path === undefined));
  assert.ok(own.ok, `${fix.title}: ${own.ok ? '' : own.reason}`);
  const byPath = new Map<string, typeof fix.edits>();
  for (const e of fix.edits) if (e.path !== undefined) byPath.set(e.path, [...(byPath.get(e.path) ?? []), e]);
  for (const [file, edits] of byPath) {
    const before = files.get(file);
    assert.ok(before !== undefined, `${fix.title} edits ${file}, which does not exist`);
    const applied = applyEdits(before, edits);
    assert.ok(applied.ok, `${fix.title}: ${applied.ok ? '' : applied.reason}`);
    files.set(file, applied.text);
    touched.set(file, 'edited');
  }
  for (const c of fix.creates ?? []) {
    assert.ok(!files.has(c.path), `${fix.title} creates ${c.path}, which exists`);
    files.set(c.path, c.text);
    touched.set(c.path, 'created');
  }
  return { text: own.text, files, touched };
}

/** What the snapshot shows: the fixed file, then each file the fix created or edited. */
function render(applied: Applied, dir: string): string {
  let out = applied.text;
  for (const [file, how] of [...applied.touched].sort(([a], [b]) => a.localeCompare(b))) {
    // sqitch plan lines record when a change was planned.
    const text = path.basename(file) === 'sqitch.plan' ? applied.files.get(file)!.replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/g, '<planned-at>') : applied.files.get(file);
    out += `${out.endsWith('\n') ? '' : '\n'}-- ======== ${how}: ${path.relative(dir, file).split(path.sep).join('/')} ========\n${text}`;
  }
  return out;
}

function relativeFiles(files: Map<string, string>, dir: string, except: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [file, text] of files) if (file !== except) out[path.relative(dir, file)] = text;
  return out;
}

/** Lints another file of the fixture's project, as the migration at its own path. */
function lintOther(file: string, text: string, files: Map<string, string>, options: LintSqlOptions): LintResult {
  return lintSql(text, { ...options, path: path.relative(VIRTUAL_ROOT, file), files: relativeFiles(files, path.dirname(file), file) });
}

/** Error-level findings in the linted file and every .sql file beside it, counted by rule. */
function projectErrors(file: string, text: string, files: Map<string, string>, options: LintSqlOptions): Map<string, number> {
  const counts = new Map<string, number>();
  const all = new Map([...files, [file, text]]);
  for (const [other, otherText] of all) {
    if (!other.endsWith('.sql')) continue;
    const result = other === file ? lintSql(otherText, { ...options, files: relativeFiles(all, path.dirname(file), file) }) : lintOther(other, otherText, all, options);
    for (const f of result.findings) if (f.severity === 'error') counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
  }
  return counts;
}

const fixable = registry.filter((r) => r.fixable).map((r) => r.id);

describe('fix fixtures', () => {
  for (const rule of fs.existsSync(FIX_ROOT) ? fs.readdirSync(FIX_ROOT).sort() : []) {
    describe(rule, () => {
      for (const name of fs.readdirSync(path.join(FIX_ROOT, rule)).filter((f) => f.endsWith('.sql') && !f.endsWith('.fixed.sql')).sort()) {
        it(name, () => {
          const fixture = path.join(FIX_ROOT, rule, name);
          const { sql, options } = readFixture(fixture);
          const { file, dir } = fixturePaths(options);
          const before = lintSql(sql, options);
          assert.deepEqual(before.ruleFailures, []);
          const own = before.findings.filter((f) => f.rule === rule);
          assert.equal(own.length, 1, `expected one ${rule} finding:\n${own.map((f) => f.message).join('\n')}`);
          const offered = own[0].fixes ?? [];
          const fix = options.fix === undefined ? offered[0] : offered.find((f) => f.title.startsWith(options.fix!));
          assert.ok(fix, `no fix${options.fix ? ` titled "${options.fix}..."` : ''} among: ${offered.map((f) => f.title).join(' | ')}`);

          // An editor takes the edits of one document only when they neither overlap nor touch at an insertion.
          for (const file of new Set(fix.edits.map((e) => e.path))) {
            const spans = fix.edits.filter((e) => e.path === file).map((e) => e.span).sort((a, b) => a.start - b.start || a.end - b.end);
            for (let i = 1; i < spans.length; i++) assert.ok(spans[i].start >= spans[i - 1].end && !(spans[i].start === spans[i - 1].start && spans[i - 1].start === spans[i - 1].end && spans[i].end > spans[i].start), `"${fix.title}": edits of ${file ?? 'the file'} touch at ${spans[i].start}`);
          }
          const applied = applyFix(sql, fix, options, dir);
          matchSnapshot(fixture.replace(/\.sql$/, '.fixed.sql'), render(applied, dir));

          const lintFixed = (text: string) => lintSql(text, { ...options, files: relativeFiles(applied.files, dir, file) });
          const after = lintFixed(applied.text);
          assert.deepEqual(after.ruleFailures, []);
          assert.deepEqual(after.statements.filter((s) => s.error).map((s) => `${s.text}: ${s.error!.message}`), [], 'the fixed file does not parse');
          assert.deepEqual(after.findings.filter((f) => f.rule === rule).map((f) => f.message), [], `${rule} still fires after "${fix.title}"`);
          // No error-level finding that was not there before, in the file or in the files beside it (a
          // statement that moves to a new migration takes its findings along).
          const was = projectErrors(file, sql, new Map(Object.entries(options.files ?? {}).map(([n, t]) => [path.resolve(dir, n), t])), options);
          const now = projectErrors(file, applied.text, applied.files, options);
          const added = [...now].filter(([key, n]) => n > (was.get(key) ?? 0)).map(([key]) => key);
          assert.deepEqual(added, [], `"${fix.title}" brought new errors`);
          // Applying it again changes nothing: the rule has no finding left, so nothing more to apply.
          assert.deepEqual(after.findings.filter((f) => f.rule === rule).flatMap((f) => f.fixes ?? []).map((f) => f.title), []);
          // The files it wrote parse.
          for (const [other, how] of applied.touched) {
            if (!other.endsWith('.sql')) continue;
            const result = lintOther(other, applied.files.get(other)!, new Map([...applied.files, [file, applied.text]]), options);
            assert.deepEqual(result.statements.filter((s) => s.error).map((s) => s.error!.message), [], `${how} ${other} does not parse`);
          }
        });
      }
    });
  }

  it(`at least 30 rules have fixes, and each has fix fixtures (${fixable.length} now)`, () => {
    assert.ok(fixable.length >= 30, `${fixable.length} fixable rules`);
    const dirs = fs.existsSync(FIX_ROOT) ? fs.readdirSync(FIX_ROOT) : [];
    assert.deepEqual(fixable.filter((id) => !dirs.includes(id)), [], 'fixable rules without test/fixtures/fixes/<rule>');
    assert.deepEqual(dirs.filter((d) => !fixable.includes(d)), [], 'fix fixtures of rules not declared fixable');
  });

  it('docs/fixes.md lists every rule with a fix, and says how many', () => {
    const doc = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'fixes.md'), 'utf8');
    assert.deepEqual(fixable.filter((id) => !doc.includes(`[${id}]`)), []);
    assert.match(doc, new RegExp(`\\b${fixable.length} rules\\b`));
  });
});
