// Every quick-fix, run on a real PostgreSQL. For each rule that offers a fix (read from the registry:
// a fixable rule without a case here fails the suite), realistic cases: a set-up schema with rows and
// a migration in a real format. Each fix the finding offers is applied (its edits, the files it
// creates or edits), then, each in a fresh database on the embedded server:
//   - the ORIGINAL migrations run up through zdm's runner (so each format's transaction mode is the
//     tool's), and the schema is read (prove/snapshot.ts takeSnapshot) with every table's rows;
//   - the FIXED migrations (with their follow-up files, in version order) run up the same way;
//   - the fixed run succeeds, its schema equals the original's except for the differences the case
//     documents (asserted exactly), the rows are the same, and rolling everything back (when the
//     migrations have downs) returns to the set-up schema;
//   - linting the fixed files again no longer gives the rule's finding, and gives no new error.
// The cases are in on-server-cases.ts. ZDM_FIXES_DUMP=1 prints each fixed project's files.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits } from '../../server/src/engine/fixes/apply';
import { createDiskHost } from '../../server/src/engine/host';
import type { Finding, Fix } from '../../server/src/engine/model';
import { compareSnapshots, displayName, takeSnapshot, type SchemaSnapshot } from '../../server/src/engine/prove/snapshot';
import { ConfigCache, lintFileFromDisk } from '../../server/src/engine/project';
import { registry } from '../../server/src/engine/rules/registry';
import { rollback, up } from '../../server/src/engine/runner/commands';
import { quoteIdent, withClient } from '../../server/src/engine/runner/db';
import type { RunResult } from '../../server/src/engine/runner/events';
import { initParser } from '../../server/src/engine/sql/parser';
import { usePostgres } from '../helpers/postgres';
import { CASES, type FixCase } from './on-server-cases';

const roots: string[] = [];

const pg = usePostgres({
  setup: initParser,
  cleanup: () => {
    for (const root of roots.splice(0)) fs.rmSync(root, { recursive: true, force: true });
  },
});

const MIGRATIONS = 'db/migrations';
/** The tools' own tracking tables (left out of the comparisons). */
const TRACKING = ['schema_migrations', 'goose_db_version', 'zdm_migrations', '__diesel_schema_migrations', 'flyway_schema_history'].flatMap((t) => [t, `public.${t}`]);

function writeProject(files: Record<string, string>, config: Record<string, unknown>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'zdm-fix-pg-'));
  roots.push(root);
  fs.writeFileSync(path.join(root, '.zdm.json'), JSON.stringify({ migrationsDir: [MIGRATIONS], ...config }, null, 2));
  for (const [name, text] of Object.entries(files)) {
    const full = path.join(root, MIGRATIONS, name);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, text);
  }
  return root;
}

/** The migration files of a project, by path relative to its migrations folder. */
function readProject(root: string): Record<string, string> {
  const dir = path.join(root, MIGRATIONS);
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isFile()) out[name.split(path.sep).join('/')] = fs.readFileSync(full, 'utf8');
  }
  return out;
}

function lintFile(root: string, relative: string): Finding[] {
  const host = createDiskHost({ cache: false });
  return lintFileFromDisk(path.join(root, MIGRATIONS, relative), host, new ConfigCache(host)).findings;
}

/** The project's files after `fix`, which was offered on `root`'s files (its paths are absolute in `root`). */
function applyFix(root: string, target: string, fix: Fix): Record<string, string> {
  const dir = path.join(root, MIGRATIONS);
  const files = readProject(root);
  const rel = (p: string) => path.relative(dir, p).split(path.sep).join('/');
  const byFile = new Map<string, Fix['edits']>();
  for (const e of fix.edits) {
    const name = e.path === undefined ? target : rel(e.path);
    byFile.set(name, [...(byFile.get(name) ?? []), e]);
  }
  for (const [name, edits] of byFile) {
    assert.ok(files[name] !== undefined, `"${fix.title}" edits ${name}, which does not exist`);
    const applied = applyEdits(files[name], edits);
    assert.ok(applied.ok, `"${fix.title}": ${applied.ok ? '' : applied.reason}`);
    files[name] = applied.text;
  }
  for (const c of fix.creates ?? []) {
    const name = rel(c.path);
    assert.ok(!name.startsWith('..'), `"${fix.title}" creates ${c.path}, outside the migrations folder`);
    assert.ok(files[name] === undefined, `"${fix.title}" creates ${name}, which exists`);
    files[name] = c.text;
  }
  return files;
}

function explain(result: RunResult): string {
  return JSON.stringify({ error: result.error, usageError: result.usageError, needsConfirmation: result.needsConfirmation, steps: result.steps.map((s) => [s.name, s.direction, s.ok, s.error?.message]) }, null, 2);
}

interface State {
  schema: SchemaSnapshot;
  /** Each table's rows as sorted JSON text, by table name. */
  rows: Map<string, string[]>;
}

async function stateOf(database: string): Promise<State> {
  return withClient(pg.url(database), async (session) => {
    const schema = await takeSnapshot(session, { exclude: TRACKING });
    const rows = new Map<string, string[]>();
    for (const item of schema.items.values()) {
      if (item.kind !== 'table' || TRACKING.includes(item.name)) continue;
      const [schemaName, table] = item.name.split('.');
      const found = await session.query<{ r: string }>(`SELECT to_jsonb(t)::text AS r FROM ${quoteIdent(schemaName)}.${quoteIdent(table)} AS t`);
      rows.set(item.name, found.map((x) => x.r).sort());
    }
    return { schema, rows };
  });
}

/** Differences between two schemas, one line each: `changed column public.users.email: not null`. */
function differences(a: SchemaSnapshot, b: SchemaSnapshot): string[] {
  return compareSnapshots(a, b).map((d) => `${d.change} ${d.kind} ${displayName(d.name)}${d.fields ? `: ${d.fields.join(', ')}` : ''}`);
}

interface Run {
  setup: State;
  /** After up; undefined when up failed (`error` says why). */
  up?: State;
  error?: string;
  /** After up failed. */
  failed?: State;
  /** After rolling every migration back. */
  down?: State;
}

/**
 * A fresh database, the set-up SQL, then up through the runner and, with `down`, a rollback of every
 * migration. `mayFail`: a failing up is returned (the original migration the finding is about), not asserted.
 */
async function runProject(root: string, testCase: FixCase, label: string, options: { down: boolean; mayFail?: boolean }): Promise<Run> {
  const database = await pg.createDatabase('zdm_fixpg');
  try {
    if (testCase.setup.trim()) await withClient(pg.url(database), (s) => s.queryText(testCase.setup));
    const setup = await stateOf(database);
    // A statement_timeout on the runner's session: a fix that loops forever fails the case instead of hanging it.
    // A Flyway project adopts the set-up schema as a team adopting Flyway would: baselineOnMigrate at version 0
    // (Flyway, and zdm, refuse to migrate a non-empty schema without a history table otherwise).
    const env = { FLYWAY_BASELINE_ON_MIGRATE: 'true', FLYWAY_BASELINE_VERSION: '0' };
    const runner = { cwd: root, url: `${pg.url(database)}?options=${encodeURIComponent('-c statement_timeout=20s')}`, env, embedded: false, yes: true };
    const result = await up(runner);
    if (!result.ok && options.mayFail) return { setup, error: result.error?.message ?? explain(result), failed: await stateOf(database) };
    assert.ok(result.ok, `${label} up failed:\n${explain(result)}\n${describeFiles(root)}`);
    const upState = await stateOf(database);
    let down: State | undefined;
    if (options.down) {
      const back = await rollback({ ...runner, to: '0' });
      assert.ok(back.ok, `${label} rollback failed:\n${explain(back)}\n${describeFiles(root)}`);
      down = await stateOf(database);
    }
    return { setup, up: upState, down };
  } finally {
    await pg.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
  }
}

function describeFiles(root: string): string {
  return Object.entries(readProject(root))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, text]) => `---- ${name}\n${text}`)
    .join('\n');
}

function assertRows(expected: Map<string, string[]>, actual: State, what: string): void {
  for (const [table, rows] of expected) {
    if (!actual.rows.has(table)) continue; // a missing table is a schema difference, reported there
    assert.deepEqual(actual.rows.get(table), rows, `${what}: rows of ${table} differ`);
  }
}

/** Error-level findings in every .sql file of a project, counted by rule. */
function errorsOf(root: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of Object.keys(readProject(root)).filter((n) => n.endsWith('.sql'))) {
    for (const f of lintFile(root, name)) if (f.severity === 'error') counts.set(f.rule, (counts.get(f.rule) ?? 0) + 1);
  }
  return counts;
}

/** The rule's findings in every .sql file of a project. */
function findingsOf(root: string, rule: string): { file: string; line: number; finding: Finding }[] {
  const out: { file: string; line: number; finding: Finding }[] = [];
  for (const [name, text] of Object.entries(readProject(root))) {
    if (!name.endsWith('.sql')) continue;
    for (const finding of lintFile(root, name)) {
      if (finding.rule === rule) out.push({ file: name, line: text.slice(0, finding.span.start).split('\n').length, finding });
    }
  }
  return out;
}

const fixable = registry.filter((r) => r.fixable).map((r) => r.id);

describe('every fixable rule has a case that runs on PostgreSQL', () => {
  it(`${fixable.length} fixable rules`, () => {
    const covered = new Set(CASES.map((c) => c.rule));
    assert.deepEqual(fixable.filter((id) => !covered.has(id)), [], 'fixable rules without a case in test/fixes/on-server-cases.ts');
    assert.deepEqual([...covered].filter((id) => !fixable.includes(id)), [], 'cases of rules not declared fixable');
  });
});

describe('fixes run on PostgreSQL', () => {
  for (const testCase of CASES) {
    it(`${testCase.rule}: ${testCase.name}`, async () => {
      const config = { ...testCase.config, rules: { [testCase.rule]: 'warning', ...((testCase.config?.rules as object) ?? {}) } };
      const original = writeProject(testCase.files, config);
      const before = findingsOf(original, testCase.rule);
      const mine = before.filter((f) => f.file === testCase.target && (testCase.line === undefined || f.line === testCase.line));
      assert.equal(mine.length, 1, `expected one ${testCase.rule} finding in ${testCase.target}${testCase.line ? ` at line ${testCase.line}` : ''}, got:\n${before.map((f) => `${f.file}:${f.line}: ${f.finding.message}`).join('\n')}`);
      const offered = mine[0].finding.fixes ?? [];
      const titles = offered.map((f) => f.title);
      assert.deepEqual(titles.filter((t) => !testCase.fixes.some((p) => t.startsWith(p))), [], 'fixes the case does not expect');
      assert.deepEqual(testCase.fixes.filter((p) => !titles.some((t) => t.startsWith(p))), [], `fixes expected but not offered; offered: ${titles.join(' | ')}`);

      // What the fixed migration must match: the original, or (when the original does not do what it
      // says on PostgreSQL, the finding's point) the migration as the author meant it.
      const downs = testCase.down === undefined;
      const base = await runProject(original, testCase, 'the original', { down: downs, mayFail: testCase.original !== undefined && 'fails' in testCase.original });
      let expected: Run = base;
      if (testCase.original) {
        assert.ok(testCase.reference, 'a case whose original misbehaves needs a reference');
        const referenceFiles = typeof testCase.reference === 'function' ? testCase.reference(testCase.files) : testCase.reference;
        const reference = await runProject(writeProject(referenceFiles, config), testCase, 'the reference', { down: downs });
        if ('fails' in testCase.original) assert.match(base.error ?? 'it did not fail', testCase.original.fails, 'the original should fail on PostgreSQL');
        else assert.deepEqual(differences(reference.up!.schema, base.up!.schema), testCase.original.differs, 'how the original differs from what it means');
        expected = reference;
      }
      if (expected.down) assert.deepEqual(differences(expected.setup.schema, expected.down.schema), testCase.originalDownDiffers ?? [], 'the original down does not return to the set-up schema');

      for (const fix of offered) {
        const label = `"${fix.title}"`;
        const files = applyFix(original, testCase.target, fix);
        const fixedRoot = writeProject(files, config);
        // Re-linted, the fixed files have at least one finding of the rule fewer: the one fixed (a split
        // can take a second one with it, the down's twin of the statement it moved).
        if (process.env.ZDM_FIXES_DUMP) console.log(`==== ${testCase.rule}: ${label}\n${describeFiles(fixedRoot)}`);
        const after = findingsOf(fixedRoot, testCase.rule);
        assert.ok(after.length < before.length, `${label}: ${testCase.rule} still fires:\n${after.map((f) => `${f.file}:${f.line}: ${f.finding.message}`).join('\n')}\n${describeFiles(fixedRoot)}`);
        if (testCase.fixFails) {
          const failed = await runProject(fixedRoot, testCase, label, { down: false, mayFail: true });
          assert.match(failed.error ?? 'it did not fail', testCase.fixFails, `${label} should stop with an error`);
          assert.deepEqual(differences(failed.setup.schema, failed.failed!.schema), [], `${label} left a half-done schema`);
          assertRows(failed.setup.rows, failed.failed!, `${label} after failing`);
          continue;
        }
        // No error the original did not have (a format marker left unbalanced, a statement cut in two).
        const errorsBefore = errorsOf(original);
        const added = [...errorsOf(fixedRoot)].filter(([rule, n]) => n > (errorsBefore.get(rule) ?? 0)).map(([rule]) => rule);
        assert.deepEqual(added, [], `${label} brought new errors\n${describeFiles(fixedRoot)}`);
        const fixed = await runProject(fixedRoot, testCase, label, { down: testCase.down !== 'none' });
        const prefix = Object.keys(testCase.differs ?? {}).find((p) => fix.title.startsWith(p));
        assert.deepEqual(differences(expected.up!.schema, fixed.up!.schema), prefix ? testCase.differs![prefix] : [], `${label}: the fixed migration ends in another schema\n${describeFiles(fixedRoot)}`);
        assertRows(expected.up!.rows, fixed.up!, label);
        if (fixed.down) {
          assert.deepEqual(differences(fixed.setup.schema, fixed.down.schema), testCase.fixedDownDiffers ?? [], `${label}: rolling back does not return to the set-up schema\n${describeFiles(fixedRoot)}`);
          // The rows as the original's down left them (a data change that no down undoes stays), or as
          // set up when the original has no down, or one that does not undo the schema change.
          assertRows(expected.down && !testCase.originalDownDiffers ? expected.down.rows : fixed.setup.rows, fixed.down, `${label} after rollback`);
        }
      }
    });
  }
});
