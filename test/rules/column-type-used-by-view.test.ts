// column-type-used-by-view against a real PostgreSQL: each type change zdm reports is one the server
// refuses ("cannot alter type of a column used by a view or rule", 0A000), and each it leaves alone the
// server accepts: views read through aliases, `SELECT *` (columns added after the view are not read),
// a CTE's `SELECT *` (its own FROM only), a materialized view, a view renamed, dropped first.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initParser, lintSql } from '../helpers/lint';
import { usePostgres } from '../helpers/postgres';

const pg = usePostgres({ setup: initParser });

const HISTORY = [
  'CREATE TABLE posts (id bigint PRIMARY KEY, title varchar(100), body varchar(100), author_id bigint);',
  'CREATE TABLE people (id bigint PRIMARY KEY, handle varchar(50), bio varchar(100), email varchar(100));',
  'CREATE VIEW post_list AS WITH recent AS (SELECT * FROM posts) SELECT r.id, p.handle FROM recent AS r JOIN people AS p ON p.id = r.author_id;',
  'CREATE MATERIALIZED VIEW all_people AS SELECT * FROM people;',
  'ALTER TABLE people ADD COLUMN site varchar(100);',
  'CREATE VIEW titles AS SELECT title FROM posts WHERE id IN (SELECT author_id FROM posts);',
  'ALTER VIEW titles RENAME TO post_titles;',
].join('\n');

/** Each type change alone, after the history: whether zdm reports it, and whether PostgreSQL refuses it. */
const CHANGES = [
  'ALTER TABLE posts ALTER COLUMN title TYPE varchar(200);', // post_titles and post_list (the CTE's *)
  'ALTER TABLE posts ALTER COLUMN body TYPE varchar(200);', // post_list (the CTE's *)
  'ALTER TABLE people ALTER COLUMN handle TYPE varchar(80);', // post_list through p.handle, all_people (*)
  'ALTER TABLE people ALTER COLUMN email TYPE varchar(200);', // all_people (*)
  'ALTER TABLE people ALTER COLUMN site TYPE varchar(200);', // added after all_people: read by none
  'DROP VIEW post_titles;\nALTER TABLE posts ALTER COLUMN title TYPE text;', // still read by post_list
  'DROP VIEW post_list;\nDROP MATERIALIZED VIEW all_people;\nALTER TABLE people ALTER COLUMN handle TYPE varchar(80);', // nothing left reads it
  'DROP VIEW post_titles;\nDROP VIEW post_list;\nALTER TABLE posts ALTER COLUMN title TYPE text;', // the renamed view is gone too
  'ALTER TABLE people RENAME TO persons;\nALTER TABLE persons ALTER COLUMN handle TYPE varchar(90);', // the views follow the table
];

describe('column-type-used-by-view on PostgreSQL', () => {
  it('reports exactly the type changes PostgreSQL refuses', async () => {
    const outcomes: string[] = [];
    for (const change of CHANGES) {
      const db = await pg.createDatabase('view_dep');
      await pg.query(HISTORY, [], db);
      let refused = '';
      try {
        await pg.query(`BEGIN;\n${change}\nROLLBACK;`, [], db);
      } catch (error) {
        refused = (error as { code?: string }).code ?? 'error';
      }
      const result = lintSql(`SET lock_timeout = '5s';\n${change}\n`, {
        path: '000002_change.up.sql',
        files: { '000001_init.up.sql': HISTORY, '000001_init.down.sql': 'SELECT 1;\n', '000002_change.down.sql': 'SELECT 1;\n' },
      });
      const reported = result.findings.filter((f) => f.rule === 'column-type-used-by-view');
      outcomes.push(`${change.split('\n').pop()} ${refused ? `refused ${refused}` : 'accepted'}, ${reported.length > 0 ? 'reported' : 'not reported'}`);
      assert.equal(reported.length > 0, refused !== '', `${change}: PostgreSQL ${refused ? `refused it (${refused})` : 'accepted it'}, zdm ${reported.length > 0 ? `reported ${reported[0].message}` : 'did not report it'}`);
      if (refused) assert.equal(refused, '0A000');
    }
    // Both outcomes occur, so the comparison above means something.
    assert.ok(outcomes.some((o) => o.includes('refused')) && outcomes.some((o) => o.includes('accepted')), outcomes.join('\n'));
  });
});
