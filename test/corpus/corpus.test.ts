// The real-world corpus (../shared/corpus: 1,324 migrations from public projects), when present:
// linting finishes with no crash and no failing rule, and no statement that PostgreSQL's grammar
// accepts is reported as a syntax error (a wrong statement split would show up here). The history
// parses only the statements whose leading keywords it reads (`readByHistory`): none it passes over
// parses to a node it would read. The per-rule counts that docs/corpus-rules.md and
// docs/corpus-locks.md give are the ones this lint finds, so those documents stay true.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as pgQuery from 'libpg-query';
import { spawnSync } from 'node:child_process';
import * as os from 'node:os';
import { readByHistory } from '../../server/src/engine/history';
import type { LintResult } from '../../server/src/engine/model';
import { registry } from '../../server/src/engine/rules/registry';
import { createDiskHost } from '../../server/src/engine/host';
import { ConfigCache, lintFileFromDisk } from '../../server/src/engine/project';
import { parseStatement } from '../../server/src/engine/sql/parser';
import { splitStatements } from '../../server/src/engine/sql/split';
import { initParser } from '../helpers/lint';
import { CLI, CORPUS, REPO_ROOT } from '../helpers/paths';

const present = fs.existsSync(CORPUS);

function sqlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map((f) => path.join(dir, String(f)))
    .filter((f) => fs.statSync(f).isFile())
    .sort();
}

before(() => initParser());

/** Every file of the corpus linted once, with the default configuration (as `zdm lint ../shared/corpus` does). */
let linted: { file: string; result: LintResult }[] | undefined;
function lintCorpus(): { file: string; result: LintResult }[] {
  if (linted) return linted;
  const host = createDiskHost();
  const configs = new ConfigCache(host);
  return (linted = sqlFiles(CORPUS).map((file) => ({ file, result: lintFileFromDisk(file, host, configs) })));
}

interface DocumentedCount {
  doc: string;
  rule: string;
  level: string;
  /** total, then per project (the corpus's top-level folders), as the table's columns name them */
  counts: Map<string, number>;
}

/** The rows of a document's "Findings per rule" table: the level column is `default` or `level`, the total `total` or `after`. */
function documentedCounts(doc: string): DocumentedCount[] {
  const lines = fs.readFileSync(path.join(REPO_ROOT, 'docs', doc), 'utf8').split('\n');
  const start = lines.indexOf('## Findings per rule');
  assert.ok(start !== -1, `${doc} has no "## Findings per rule" section`);
  const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
  const headerAt = lines.findIndex((l, i) => i > start && l.startsWith('| rule |'));
  assert.ok(headerAt !== -1, `${doc}: no table under "## Findings per rule"`);
  const header = cells(lines[headerAt]).map((h) => (h === 'default' ? 'level' : h === 'after' ? 'total' : h));
  const rows: DocumentedCount[] = [];
  for (let i = headerAt + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    const row = cells(lines[i]);
    const counts = new Map<string, number>();
    header.forEach((h, k) => {
      if (h === 'total' || h === 'lemmy' || h === 'kratos' || h === 'supabase-auth') {
        // "0 (18 when on)": the rule is off by default; the figure checked is the default one.
        if (row[k] !== '') counts.set(h, Number(/^[\d,]+/.exec(row[k])?.[0].replace(/,/g, '') ?? NaN));
      }
    });
    rows.push({ doc, rule: row[header.indexOf('rule')], level: row[header.indexOf('level')], counts });
  }
  return rows;
}

describe('real-world corpus', { skip: present ? false : `${CORPUS} is absent` }, () => {
  it('lints every file without a crash or a failing rule, and reports no false syntax errors', () => {
    const files = lintCorpus();
    assert.ok(files.length > 1000, `only ${files.length} files`);
    const failures: string[] = [];
    const falseSyntaxErrors: string[] = [];
    for (const { file, result } of files) {
      for (const f of result.ruleFailures) failures.push(`${file}: ${f.rule}: ${f.message.split('\n')[0]}`);
      const syntax = result.findings.filter((f) => f.rule === 'syntax-error');
      if (syntax.length === 0) continue;
      // Does PostgreSQL's grammar accept the whole file? Then every syntax error we report is ours.
      let accepted = true;
      try {
        pgQuery.parseSync(fs.readFileSync(file, 'utf8'));
      } catch {
        accepted = false;
      }
      if (accepted) falseSyntaxErrors.push(`${file}: ${syntax.map((s) => s.message).join('; ')}`);
    }
    assert.deepEqual(failures, []);
    assert.deepEqual(falseSyntaxErrors, []);
  });

  it('the history passes over no statement it would read (CREATE / ALTER / DROP TABLE, renames, CREATE ... AS)', () => {
    const missed: string[] = [];
    let read = 0;
    for (const file of sqlFiles(CORPUS)) {
      const text = fs.readFileSync(file, 'utf8');
      for (const raw of splitStatements(text).statements) {
        if (raw.unterminated) continue;
        if (readByHistory(text, raw.tokens)) {
          read++;
          continue;
        }
        const node: any = parseStatement(text.slice(raw.span.start, raw.span.end)).nodes[0];
        const alter = node?.AlterTableStmt;
        const rename = node?.RenameStmt;
        if (
          node?.CreateStmt ||
          node?.CreateTableAsStmt ||
          (alter && (alter.objtype ?? 'OBJECT_TABLE') === 'OBJECT_TABLE') ||
          rename?.renameType === 'OBJECT_TABLE' ||
          rename?.renameType === 'OBJECT_COLUMN' ||
          node?.DropStmt?.removeType === 'OBJECT_TABLE'
        ) {
          missed.push(`${file}: ${text.slice(raw.span.start, raw.span.end).slice(0, 80)}`);
        }
      }
    }
    assert.ok(read > 1000, `only ${read} statements read`);
    assert.deepEqual(missed, []);
  });

  it('zdm lint --fix on a copy: every fixed file parses, a second run changes nothing, and the report is what a lint of the result finds', () => {
    // The built CLI over a temporary copy (about 30 s): the safe fixes, pass after pass, and the files
    // they create (.down.sql companions, diesel metadata.toml). docs/fixes.md "On the real corpus".
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-corpus-fix-'));
    try {
      fs.cpSync(CORPUS, path.join(dir, 'corpus'), { recursive: true });
      const run = (...args: string[]) => {
        const r = spawnSync(process.execPath, [CLI, 'lint', ...args, '--format', 'json', 'corpus'], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 256 * 1024 * 1024, timeout: 300_000 });
        assert.ok(r.status === 0 || r.status === 1, `zdm lint ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
        return { findings: JSON.parse(r.stdout) as { file: string; rule: string; message: string }[], stderr: r.stderr };
      };
      const snapshot = () => new Map(filesUnder(dir).map((f) => [f, fs.readFileSync(f, 'utf8')]));
      const first = run('--fix');
      const applied = first.stderr.split('\n').filter((l) => / applied \(/.test(l));
      assert.ok(applied.length > 1000, `only ${applied.length} files fixed`);
      assert.deepEqual(first.stderr.split('\n').filter((l) => /untouched/.test(l)), []);
      assert.deepEqual(first.findings.filter((f) => f.rule === 'syntax-error').map((f) => `${f.file}: ${f.message}`), []);
      const after = snapshot();
      assert.ok(![...after.keys()].some((f) => f.endsWith('.tmp')), 'a temp file left behind');
      const fresh = run();
      assert.deepEqual(fresh.findings, first.findings, 'the --fix report differs from a lint of the fixed files');
      const second = run('--fix');
      assert.deepEqual(second.stderr.split('\n').filter((l) => / applied \(/.test(l)), [], 'a second --fix run applied fixes');
      const again = snapshot();
      assert.deepEqual([...again.keys()], [...after.keys()]);
      for (const [f, text] of after) assert.ok(again.get(f) === text, `${f} changed in the second run`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('docs/corpus-rules.md and docs/corpus-locks.md give every rule, its default level and the counts this lint finds', () => {
    const found = new Map<string, Map<string, number>>();
    for (const { file, result } of lintCorpus()) {
      const project = path.relative(CORPUS, file).split(path.sep)[0];
      for (const f of result.findings) {
        const counts = found.get(f.rule) ?? new Map<string, number>();
        found.set(f.rule, counts);
        counts.set('total', (counts.get('total') ?? 0) + 1);
        counts.set(project, (counts.get(project) ?? 0) + 1);
      }
    }
    const rows = [...documentedCounts('corpus-rules.md'), ...documentedCounts('corpus-locks.md')];
    const wrong: string[] = [];
    for (const row of rows) {
      if (row.rule === '**total**') {
        // The sum of the document's rows (the findings of its rules), as the document gives them.
        const sum = rows.filter((r) => r.doc === row.doc && r !== row).reduce((n, r) => n + (r.counts.get('total') ?? 0), 0);
        if (row.counts.get('total') !== sum) wrong.push(`${row.doc}: the total is ${row.counts.get('total')}, its rows add up to ${sum}`);
        continue;
      }
      const rule = registry.find((r) => r.id === row.rule);
      if (!rule) {
        wrong.push(`${row.doc}: ${row.rule} is not a rule`);
        continue;
      }
      if (row.level !== rule.defaultLevel) wrong.push(`${row.doc}: ${row.rule} is documented at ${row.level}, its default is ${rule.defaultLevel}`);
      for (const [column, documented] of row.counts) {
        const actual = found.get(row.rule)?.get(column) ?? 0;
        if (documented !== actual) wrong.push(`${row.doc}: ${row.rule} ${column}: documented ${documented}, found ${actual}`);
      }
    }
    for (const rule of registry) {
      const times = rows.filter((r) => r.rule === rule.id).length;
      if (times !== 1) wrong.push(`${rule.id} has ${times === 0 ? 'no row' : `${times} rows`} in the two documents`);
    }
    assert.deepEqual(wrong, []);
  });
});
