/**
 * The proving commands in a real VS Code (code-server + Chromium, through test/e2e/harness.ts): Trace
 * Locks shows its inline summary and opens the report, Verify Up/Down Round Trip puts its finding in the
 * Problems panel, Verify Backfill shows its result. Needs what scripts/e2e-setup.sh installs; not part
 * of `npm test` (named .e2e.ts): run it with
 *
 *   npm run build && npx tsc -p tsconfig.json && node --test out/test/prove/editor.e2e.js
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { up } from '../../server/src/engine/runner/commands';
import { E2ESession, makeTempRoot } from '../e2e/harness';
import { REPO_ROOT } from '../helpers/paths';
import { stopTestPostgres, testPostgres, type TestPostgres } from '../helpers/postgres';
import { cleanupProjects, createProject, dbmateFile } from '../runner/helpers';
import { throwawaysOn, until } from './helpers';

const USERS = dbmateFile('CREATE TABLE users (id int PRIMARY KEY, email text, name text);\nINSERT INTO users SELECT g, g || \'@x\', \'n\' || g FROM generate_series(1, 20) g;', 'DROP TABLE users;');
const INDEX = 'db/migrations/20240102000000_email_index.sql';
const BACKFILL = 'db/migrations/20240103000000_fill_2_backfill.sql';

/** The extension as the .vsix ships it (see .vscodeignore), unpacked. */
function unpackedExtension(root: string): string {
  const dir = path.join(root, 'zdm');
  for (const rel of ['package.json', 'README.md', 'dist/cli.js', 'dist/cli-main.js', 'dist/lint-cli.js', 'dist/extension.js', 'dist/lint-worker.js', 'dist/libpg-query.wasm']) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.copyFileSync(path.join(REPO_ROOT, rel), path.join(dir, rel));
  }
  for (const folder of ['syntaxes', 'snippets', 'schemas', 'docs/rules']) {
    if (fs.existsSync(path.join(REPO_ROOT, folder))) fs.cpSync(path.join(REPO_ROOT, folder), path.join(dir, folder), { recursive: true });
  }
  return dir;
}

describe('the proving commands in VS Code', { timeout: 300_000 }, () => {
  let pg: TestPostgres;
  let session: E2ESession;
  before(async () => {
    pg = await testPostgres();
    const db = await pg.createDatabase('editor');
    const files = {
      '.zdm.json': JSON.stringify({ database: { url: pg.url(db) } }),
      'db/migrations/20240101000000_users.sql': USERS,
      [INDEX]: dbmateFile("SET lock_timeout = '2s';\nCREATE INDEX users_email_idx ON users (email);", 'SELECT 1;'),
      [BACKFILL]: dbmateFile('UPDATE users SET name = NULL WHERE id > 10;\n-- zdm:verify SELECT count(*) FROM users WHERE name IS NULL -- expect 0', 'SELECT 1;', { upTransaction: false }),
    };
    const project = createProject(files);
    await up({ cwd: project.root, env: {}, embedded: false, to: '20240101000000' });
    const root = await makeTempRoot('prove-ext');
    session = await E2ESession.start({ name: 'prove', fixture: files, extensions: [unpackedExtension(root)] });
  });
  after(async () => {
    await session?.dispose();
    cleanupProjects();
    await stopTestPostgres();
  });

  it('Trace Locks: the inline summary after the statement, and the report beside the file', async () => {
    const s = session;
    await s.step('open', () => s.wb.openFile(INDEX));
    await s.step('trace', () => s.wb.runCommand('zdm: Trace Locks'));
    const css = await s.step('inline summary', () =>
      until('the trace summary decoration', async () => {
        const rules = (await s.page.evaluate(`(() => Array.from(document.styleSheets).flatMap((sheet) => { try { return Array.from(sheet.cssRules).map((r) => r.cssText); } catch { return []; } }).filter((t) => t.includes('SHARE users')))()`)) as string[];
        return rules.length > 0 ? rules.join('\n') : undefined;
      }, 90_000),
    );
    assert.match(css, /SHARE users ✓ · blocks INSERT, UPDATE/);
    await s.step('report tab', () => until('the report preview', async () => ((await s.page.locator('.tab').allTextContents()).some((t: string) => /trace-20240102000000_email_index\.sql\.md/.test(t)) ? true : undefined), 30_000));
    assert.deepEqual(await throwawaysOn(pg), []);
  });

  it('Verify Up/Down Round Trip: the down that forgets the index is a problem on its down section', async () => {
    const s = session;
    await s.step('open', () => s.wb.openFile(INDEX));
    await s.step('roundtrip', () => s.wb.runCommand('zdm: Verify Up/Down Round Trip'));
    // The seed question: "No seed data" is the first row.
    await s.step('no seed', async () => {
      await until('the seed quick pick', async () => ((await s.wb.quickInputRows()).some((r) => r.label === 'No seed data') ? true : undefined));
      await s.page.keyboard.press('Enter');
    });
    const problems = await s.step('problems', () => s.wb.waitForProblems((p) => p.some((x) => x.source === 'zdm roundtrip'), { what: 'the round-trip problem', timeoutMs: 90_000 }));
    const mine = problems.filter((p) => p.source === 'zdm roundtrip' && /users_email_idx exists after down/.test(p.message));
    assert.equal(mine.length, 1, JSON.stringify(problems));
    assert.equal(mine[0].line, 5);
    assert.ok(mine[0].file.endsWith('20240102000000_email_index.sql'), mine[0].file);
  });

  it('Verify Backfill: runs the zdm:verify query on the dev database and says it fails', async () => {
    const s = session;
    await s.step('open', () => s.wb.openFile(BACKFILL));
    await s.step('verify', () => s.wb.runCommand('zdm: Verify Backfill'));
    const text = await s.step('notification', () => s.wb.waitForNotification(/zdm: backfill verif/, { timeoutMs: 60_000 }));
    // Pending on the dev database: named explicitly, so it runs (and holds: nothing is NULL yet).
    assert.match(text, /backfill verified: 1 zdm:verify query holds/);
  });
});
