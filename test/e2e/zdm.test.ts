/**
 * The real zdm extension, packaged (`npm run package` → zdm.vsix, as users install it), in a real VS Code
 * (code-server) driven through Chromium, used as a user would: a dbmate project with a .zdm.json, the
 * squiggle and the Problems entry for a CREATE INDEX without CONCURRENTLY, the hover with its lock, the
 * quick-fix from the lightbulb menu (Ctrl+.), Migrate Up and Roll Back against the embedded PostgreSQL
 * (no database configured: it starts by itself) with the Migrations view following, and a scaffolded
 * expand/backfill/contract trio appearing in the Explorer. A screenshot of every step goes to
 * test-results/e2e/zdm-<step>.png.
 *
 * The tests run in order and share one session: each starts from the state the previous one left.
 */
import { describe, it, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from 'pg';
import { embeddedServerState } from '../../server/src/engine/runner/embedded-state';
import { FIXED_INDEX, FIX_CONCURRENTLY, FIXTURE, INDEX, USERS } from './fixture';
import { E2ESession, REPO_ROOT, TIMEOUT_SCALE, log, mib, poll, recordMetrics } from './harness';

const VSIX = process.env.ZDM_E2E_VSIX ?? path.join(REPO_ROOT, 'zdm.vsix');
const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** The embedded server can take a while to initialise on a loaded 2-core machine. */
const RUN_TIMEOUT_MS = Math.round(180_000 * TIMEOUT_SCALE);

const TRIO = /^\d{14}_rename_users_name_to_full_name_([123])_(expand|backfill|contract)\.sql$/;

describe('zdm in VS Code (packaged extension, code-server + Chromium)', { timeout: 900_000 }, () => {
  let session: E2ESession | undefined;
  let migrated = false;
  let rolledBack = false;
  const figures: Record<string, number> = {};
  let peakRss = 0;
  const sampleRss = () => {
    try {
      peakRss = Math.max(peakRss, session!.rss().total);
    } catch {
      /* gone */
    }
  };
  const s = () => {
    assert.ok(session, 'no session (startup failed)');
    return session;
  };

  before(async () => {
    assert.ok(fs.existsSync(VSIX), `${VSIX} not found: run \`npm run package\` first (npm run test:e2e does)`);
    if (fs.existsSync(CLI) && fs.statSync(VSIX).mtimeMs < fs.statSync(CLI).mtimeMs - 60_000) log(`note: ${VSIX} is older than dist/cli.js (npm run package rebuilds both)`);
    figures.vsixMiB = Math.round((fs.statSync(VSIX).size / 1048576) * 10) / 10;
    const t = Date.now();
    session = await E2ESession.start({ name: 'zdm', fixture: FIXTURE, extensions: [VSIX] });
    figures.sessionStartMs = Date.now() - t;
    figures.workbenchReadyMs = session.metrics.workbenchReadyMs ?? 0;
  });

  after(async () => {
    sampleRss();
    if (session) {
      stopEmbeddedServer(session.workspace, session.root);
      await session.dispose();
    }
    figures.rssPeakMiB = mib(peakRss);
    await recordMetrics('zdm', figures);
    log(`zdm figures: ${JSON.stringify(figures)}`);
  });

  it('shows the CREATE INDEX without CONCURRENTLY as a squiggle and in the Problems panel', async () => {
    const ses = s();
    await ses.step('open-migration', () => ses.wb.openFile(INDEX));
    const opened = Date.now();
    const squiggles = await ses.step('squiggle', () => ses.wb.waitForSquiggle('error'));
    figures.firstSquiggleAfterOpenMs = Date.now() - opened;
    assert.ok(squiggles.error >= 1, JSON.stringify(squiggles));

    const problems = await ses.step('problems', () =>
      ses.wb.waitForProblems((p) => p.some((x) => x.code === 'require-concurrent-index-creation'), { what: 'the require-concurrent-index-creation problem' }),
    );
    const mine = problems.filter((p) => p.source === 'zdm');
    // The plain CREATE INDEX also waits for its SHARE lock with no lock_timeout set (a warning); the
    // CONCURRENTLY fix below clears both, as the build alone in its block no longer queues writes.
    assert.deepEqual(mine.map((p) => p.code).sort(), ['require-concurrent-index-creation', 'require-lock-timeout'], JSON.stringify(problems));
    const p = mine.find((x) => x.code === 'require-concurrent-index-creation')!;
    assert.equal(p.severity, 'error');
    assert.deepEqual([p.line, p.column], [3, 1]);
    assert.match(p.message, /CREATE INDEX takes a SHARE lock on users/);
    assert.ok(p.file.endsWith('20240102090000_index_users_email.sql'), p.file);
    sampleRss();
  });

  it('hovers the statement and reads the lock it takes', async () => {
    const ses = s();
    const text = await ses.step('hover', () => ses.wb.hoverAt(3, 8, { expect: /SHARE on table users/ }));
    assert.match(text, /CREATE INDEX/);
    assert.match(text, /SHARE on table users: blocks writes \(INSERT, UPDATE, DELETE\); reads continue/);
    assert.match(text, /Reads every row of users while the lock is held/);
    assert.match(text, /require-concurrent-index-creation/); // the finding, with its fix
  });

  it('applies the quick-fix from the lightbulb menu: the file changes and the problem goes', async () => {
    const ses = s();
    const titles = await ses.step('quick-fix-menu', () => ses.wb.codeActions(3, 1));
    assert.ok(titles.includes(FIX_CONCURRENTLY), JSON.stringify(titles));
    await ses.step('quick-fix', () => ses.wb.quickFix(FIX_CONCURRENTLY, { line: 3, column: 1 }));
    const text = await ses.wb.waitForEditorText((t) => t.includes('CREATE INDEX CONCURRENTLY'), { what: 'the fixed SQL' });
    assert.match(text, /^-- migrate:up transaction:false\n/);
    assert.match(text, /\nCREATE INDEX CONCURRENTLY users_email_idx ON users \(email\);\n/);
    await ses.step('problem-gone', async () => {
      await ses.wb.waitForProblems((p) => !p.some((x) => x.code === 'require-concurrent-index-creation'), { what: 'the problem to go' });
      await ses.wb.waitForNoSquiggles('error');
    });
    await ses.wb.waitForEditorText((t) => t === FIXED_INDEX, { what: 'the fixed file' });
    await ses.step('clean', async () => {
      await ses.wb.waitForNoSquiggles();
      await ses.wb.waitForProblems((p) => !p.some((x) => x.source === 'zdm'), { what: 'no zdm problems' });
    });
    await ses.wb.save();
    assert.equal(fs.readFileSync(path.join(ses.workspace, INDEX), 'utf8'), FIXED_INDEX);
  });

  it('runs Migrate Up against the embedded PostgreSQL, which starts by itself; the Migrations view shows them applied', async () => {
    const ses = s();
    await ses.step('status-no-database', async () => {
      await ses.wb.runCommand('zdm: Migration Status');
      const items = await ses.wb.waitForViewItems('Migrations', (i) => i.some((x) => /Start the embedded PostgreSQL/.test(x.label)), {
        what: 'the Migrations view to offer the embedded PostgreSQL',
      });
      assert.ok(items.some((x) => /Set a database URL/.test(x.label)), JSON.stringify(items));
    });
    const t = Date.now();
    await ses.step('migrate-up', async () => {
      await ses.wb.runCommand('zdm: Migrate Up');
      const done = await ses.wb.waitForNotification(/zdm: (2 migrations applied|Migrate Up failed|could not)/, { timeoutMs: RUN_TIMEOUT_MS });
      assert.match(done, /zdm: 2 migrations applied/);
    });
    figures.migrateUpMs = Date.now() - t;
    migrated = true;
    const items = await ses.step('status-applied', () =>
      ses.wb.waitForViewItems('Migrations', (i) => isState(i, USERS, 'applied') && isState(i, INDEX, 'applied'), { what: 'both migrations applied in the view' }),
    );
    assert.equal(items.filter((x) => x.label.endsWith('.sql')).length, 2, JSON.stringify(items));
    sampleRss();
  });

  it('runs Roll Back; the Migrations view shows the last migration pending again', async () => {
    const ses = s();
    assert.ok(migrated, 'not run: Migrate Up failed');
    const t = Date.now();
    await ses.step('roll-back', async () => {
      await ses.wb.runCommand('zdm: Roll Back');
      const done = await ses.wb.waitForNotification(/zdm: (1 rolled back|Roll Back failed|could not)/, { timeoutMs: RUN_TIMEOUT_MS });
      assert.match(done, /zdm: 1 rolled back/);
    });
    figures.rollBackMs = Date.now() - t;
    await ses.step('status-pending', () =>
      ses.wb.waitForViewItems('Migrations', (i) => isState(i, USERS, 'applied') && isState(i, INDEX, 'pending'), { what: 'the index migration pending in the view' }),
    );
    rolledBack = true;
  });

  it('marks the pending migration as applied (log only): recorded, not run; then as not applied: the record goes, the schema stays', async () => {
    const ses = s();
    assert.ok(rolledBack, 'not run: Roll Back failed');
    const index = path.posix.basename(INDEX);
    const [usersVersion, indexVersion] = [USERS, INDEX].map((f) => path.posix.basename(f).slice(0, 14));
    const before = await databaseState(ses.workspace);
    // As Roll Back left it: the users table recorded and there, the index neither.
    assert.deepEqual(before, { tool: [usersVersion], zdm: [`${usersVersion} applied`], users: true, index: false }, JSON.stringify(before));

    const dialogOpen = async () => (await ses.wb.dialogState()).visible;
    let t = Date.now();
    // From the Migrations view's title menu ("…"; Mark as Not Applied below goes through the palette).
    const menu = await ses.step('mark-applied-title-menu', () => ses.wb.runViewTitleMenu('Migrations', 'Mark Migrations as Applied (log only)'));
    log(`the Migrations view's title menu: ${menu.join(' / ')}`);
    assert.ok(menu.includes('Roll Back') && !menu.includes('Mark Migration as Not Applied (log only)'), JSON.stringify(menu));
    await ses.step('mark-applied-pick', () =>
      ses.wb.answerPrompts([{ when: /Mark which migrations as applied, without running them\?/, pick: index }], dialogOpen, { what: `${index} picked, until the modal question` }),
    );
    const asked = await ses.step('mark-applied-confirm', () =>
      ses.wb.answerDialog(new RegExp(`Mark ${escapeRegExp(index)} and every pending migration before it as applied in .*, without running them\\?`), 'Mark as Applied'),
    );
    assert.match(asked.detail, /Their SQL will NOT be run\./, JSON.stringify(asked));
    assert.ok(asked.buttons.includes('Cancel'), JSON.stringify(asked));
    await ses.step('mark-applied-done', async () => {
      // Not the progress notification ("zdm: Mark as Applied (log only): 1/1 <file>"): the summary (a real
      // run's "1 migration applied" too, to fail at once; Migrate Up's was "2 migrations"), or an error.
      const done = await ses.wb.waitForNotification(/zdm: (1 migration recorded as applied \(not run\)|1 migration applied|Mark as Applied \(log only\)[^.]* failed|Mark as Applied \(log only\): (?!\d+\/)|could not)/, { timeoutMs: RUN_TIMEOUT_MS });
      assert.match(done, /zdm: 1 migration recorded as applied \(not run\)\./);
      await ses.wb.waitForViewItems('Migrations', (i) => isState(i, USERS, 'applied') && isState(i, INDEX, 'applied'), { what: 'the index migration applied in the view' });
    });
    figures.markAppliedMs = Date.now() - t;
    const marked = await databaseState(ses.workspace);
    // Both tracking tables have the row, and the CREATE INDEX never ran.
    assert.deepEqual(marked, { tool: [usersVersion, indexVersion], zdm: [`${usersVersion} applied`, `${indexVersion} applied`], users: true, index: false }, JSON.stringify(marked));

    t = Date.now();
    await ses.wb.runCommand('zdm: Mark Migration as Not Applied (log only)');
    await ses.step('mark-not-applied-pick', () =>
      ses.wb.answerPrompts([{ when: /Mark which migrations as not applied, without running their downs\?/, pick: index }], dialogOpen, { what: `${index} picked, until the modal question` }),
    );
    const askedBack = await ses.step('mark-not-applied-confirm', () =>
      ses.wb.answerDialog(new RegExp(`Mark ${escapeRegExp(index)} and every migration applied after it as not applied in .*, without running their down sections\\?`), 'Mark as Not Applied'),
    );
    assert.match(askedBack.detail, /Their down SQL will NOT be run/, JSON.stringify(askedBack));
    await ses.step('mark-not-applied-done', async () => {
      // Its down (DROP INDEX users_email_idx) would fail here: the index was never made.
      const done = await ses.wb.waitForNotification(/zdm: (1 migration recorded as not applied \(not run\)|Mark as Not Applied \(log only\)[^.]* failed|Mark as Not Applied \(log only\): (?!\d+\/)|could not)/, { timeoutMs: RUN_TIMEOUT_MS });
      assert.match(done, /zdm: 1 migration recorded as not applied \(not run\)\./);
      await ses.wb.waitForViewItems('Migrations', (i) => isState(i, USERS, 'applied') && isState(i, INDEX, 'pending'), { what: 'the index migration pending again in the view' });
    });
    figures.markNotAppliedMs = Date.now() - t;
    const unmarked = await databaseState(ses.workspace);
    assert.deepEqual(unmarked, before, JSON.stringify(unmarked));
  });

  it('scaffolds an expand/backfill/contract trio through its prompts; three files appear in the Explorer and the Migrations view', async () => {
    const ses = s();
    const dir = path.join(ses.workspace, 'db', 'migrations');
    const trioFiles = () => fs.readdirSync(dir).filter((f) => TRIO.test(f)).sort();
    await ses.wb.runCommand('zdm: New Expand/Backfill/Contract Trio');
    // With the embedded server running, tables and columns are picked from the dev database and their
    // type and NOT NULL need no prompt; without it they are typed. Both paths are answered.
    const asked = await ses.step('trio-prompts', () =>
      ses.wb.answerPrompts(
        [
          { when: /Which breaking change\?/, pick: 'rename-column' },
          { when: /\| Table \(from the dev database/, pick: 'users' },
          { when: /\| Column \(from the dev database/, pick: 'name' },
          { when: /Column \(table\.column/, type: 'users.name' },
          { when: /New column name/, type: 'full_name' },
          { when: /The column's type/, type: 'text' },
          { when: /Is the column NOT NULL today\?/, pick: 'No' },
          { when: /Key the backfill walks/, accept: true },
          { when: /Rows per committed batch/, accept: true },
        ],
        () => trioFiles().length === 3,
        { what: 'the trio prompts until three files exist' },
      ),
    );
    log(`trio prompts: ${asked.join(' / ')}`);
    const files = trioFiles();
    assert.deepEqual(files.map((f) => TRIO.exec(f)![2]), ['expand', 'backfill', 'contract']);
    await ses.step('trio-explorer', async () => {
      await ses.wb.waitForNotification(/zdm: created the trio/);
      await ses.wb.waitForExplorerItems((names) => files.every((f) => names.includes(f)), { what: 'the three trio files in the Explorer' });
    });
    // The Migrations view follows the files (a file-system watcher): the trio, then a file another tool writes and removes.
    await ses.step('trio-migrations-view', () =>
      ses.wb.waitForViewItems('Migrations', (i) => files.every((f) => isState(i, f, 'pending')), { what: 'the trio pending in the Migrations view' }),
    );
    const outside = '20300101000000_written_outside.sql';
    fs.writeFileSync(path.join(dir, outside), '-- migrate:up\nSELECT 1;\n\n-- migrate:down\nSELECT 1;\n');
    await ses.step('outside-file-in-view', () => ses.wb.waitForViewItems('Migrations', (i) => isState(i, outside, 'pending'), { what: 'a file written outside the editor in the Migrations view' }));
    fs.rmSync(path.join(dir, outside));
    await ses.step('outside-file-gone', () => ses.wb.waitForViewItems('Migrations', (i) => !i.some((x) => x.label === outside) && files.every((f) => isState(i, f, 'pending')), { what: 'the removed file gone from the Migrations view' }));
    assert.match(fs.readFileSync(path.join(dir, files[0]), 'utf8'), /ADD COLUMN (IF NOT EXISTS )?full_name text/);
    sampleRss();
  });

  it('stops the embedded PostgreSQL', async () => {
    const ses = s();
    const record = embeddedRecord(ses.workspace);
    assert.ok(record, 'the embedded server left no record in .zdm/postgres.json');
    await ses.step('stop-database', async () => {
      await ses.wb.runCommand('zdm: Stop Embedded Database');
      await poll('the embedded server to stop', () => !fs.existsSync(path.join(record.dataDir, 'postmaster.pid')), { timeoutMs: 60_000 });
    });
  });
});

/** True when the view lists the migration `file` with a description starting with `state`. */
function isState(items: Array<{ label: string; description: string }>, file: string, state: string): boolean {
  const item = items.find((x) => x.label === path.posix.basename(file));
  return item !== undefined && item.description.startsWith(state);
}

/**
 * What the embedded dev database holds, read with its own connection (pg): the versions dbmate's table
 * and zdm_migrations record, and whether the users table and the index exist.
 */
async function databaseState(workspace: string): Promise<{ tool: string[]; zdm: string[]; users: boolean; index: boolean }> {
  const { url } = embeddedServerState(workspace);
  assert.ok(url, 'the embedded server is not running');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 15_000, statement_timeout: 15_000 });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT
      ARRAY(SELECT version::text FROM schema_migrations ORDER BY 1) AS tool,
      ARRAY(SELECT version || ' ' || state FROM zdm_migrations ORDER BY 1) AS zdm,
      to_regclass('public.users') IS NOT NULL AS users,
      to_regclass('public.users_email_idx') IS NOT NULL AS index`);
    return rows[0];
  } finally {
    await client.end();
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function embeddedRecord(workspace: string): { dataDir: string } | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(workspace, '.zdm', 'postgres.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Whatever happened, the embedded server the extension started must not outlive the test: stop it
 * with the CLI, and remove what it left in the system's temp dirs: its data when the postgres user
 * could not reach the workspace, and the copy of the PostgreSQL programs made because it could not
 * reach the installed extension (both happen as root: the session lives in a private temp dir).
 */
function stopEmbeddedServer(workspace: string, sessionRoot: string): void {
  const record = embeddedRecord(workspace);
  if (record && fs.existsSync(path.join(record.dataDir, 'postmaster.pid'))) {
    const r = spawnSync(process.execPath, [CLI, 'db', 'stop'], { cwd: workspace, encoding: 'utf8', timeout: 60_000 });
    log(`zdm db stop: ${(r.stdout + r.stderr).trim()}`);
  }
  const parent = record && path.dirname(record.dataDir);
  if (parent && !record.dataDir.startsWith(workspace + path.sep) && /^zdm-postgres-/.test(path.basename(parent))) {
    fs.rmSync(parent, { recursive: true, force: true });
  }
  for (const base of ['/tmp', '/var/tmp']) {
    let names: string[] = [];
    try {
      names = fs.readdirSync(base).filter((n) => n.startsWith('zdm-postgres-bin-'));
    } catch {
      continue;
    }
    for (const n of names) {
      let source = '';
      try {
        source = fs.readFileSync(path.join(base, n, 'source'), 'utf8');
      } catch {
        continue;
      }
      if (source.startsWith(sessionRoot + path.sep)) fs.rmSync(path.join(base, n), { recursive: true, force: true });
    }
  }
}
