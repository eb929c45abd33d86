import { counterpartOf } from '../context';
import { viewEventsBefore } from '../history';
import type { Section, Statement } from '../model';
import { bodyOf, relationOf } from '../sql/ast';
import { clauseEnd } from '../sql/tokens';
import { ViewDependencies, viewEventsOf } from '../views';
import type { Rule } from './types';

export const columnTypeUsedByView: Rule = {
  id: 'column-type-used-by-view',
  family: 'files',
  summary: 'ALTER COLUMN ... TYPE of a column a view reads: PostgreSQL refuses it, and the migration fails',
  defaultLevel: 'error',
  sameAs: [],
  docs: {
    why: 'PostgreSQL cannot change the type of a column that a view or materialized view reads: the ALTER TABLE fails with "cannot alter type of a column used by a view or rule", and the migration with it. zdm knows the views from the earlier migrations of the folder and the statements before this one, and which columns each reads from its query (a `SELECT *` reads the columns the table had when the view was made).\n\nNot flagged: a view dropped earlier in the migration (the usual drop, alter, re-create), and a view made after the change.',
    instead: 'Drop the view before the type change and create it again after it, in the same transaction, so no query ever sees it missing: `DROP VIEW v; ALTER TABLE ... TYPE ...; CREATE VIEW v AS ...;`. A view other views read must go first and come back last.',
    invalid: [
      {
        sql: "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);\n",
        path: '000002_users_name_longer.up.sql',
        files: {
          '000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100), email text);\nCREATE VIEW user_names AS SELECT u.id, u.name FROM users AS u;\n',
          '000001_users.down.sql': 'DROP VIEW user_names;\nDROP TABLE users;\n',
          '000002_users_name_longer.down.sql': "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name TYPE varchar(100);\n",
        },
        note: 'The earlier migration made the view user_names, which reads users.name.',
      },
    ],
    valid: [
      {
        sql: "SET lock_timeout = '5s';\nDROP VIEW user_names;\nALTER TABLE users ALTER COLUMN name TYPE varchar(200);\nCREATE VIEW user_names AS SELECT u.id, u.name FROM users AS u;\n",
        path: '000002_users_name_longer.up.sql',
        files: {
          '000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100), email text);\nCREATE VIEW user_names AS SELECT u.id, u.name FROM users AS u;\n',
          '000001_users.down.sql': 'DROP VIEW user_names;\nDROP TABLE users;\n',
          '000002_users_name_longer.down.sql': "SET lock_timeout = '5s';\nDROP VIEW user_names;\nALTER TABLE users ALTER COLUMN name TYPE varchar(100);\nCREATE VIEW user_names AS SELECT u.id, u.name FROM users AS u;\n",
        },
        note: 'Dropped before the change and made again after it, in the same transaction.',
      },
      {
        sql: "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email TYPE varchar(320);\n",
        path: '000002_users_email_limit.up.sql',
        files: {
          '000001_users.up.sql': 'CREATE TABLE users (id bigint PRIMARY KEY, name varchar(100), email text);\nCREATE VIEW user_names AS SELECT u.id, u.name FROM users AS u;\n',
          '000001_users.down.sql': 'DROP VIEW user_names;\nDROP TABLE users;\n',
          '000002_users_email_limit.down.sql': "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email TYPE text;\n",
        },
        note: 'The view does not read email.',
      },
    ],
  },
  check(context) {
    const changes = typeChanges(context.statements);
    if (changes.length === 0) return;
    // Per section, the views as the statements before each change leave them.
    const bySection = new Map<Section, Statement[]>();
    for (const s of context.statements) {
      let list = bySection.get(s.section);
      if (!list) bySection.set(s.section, (list = []));
      list.push(s);
    }
    let columns: { table: string; column: string }[] | undefined;
    for (const [section, list] of bySection) {
      if (!changes.some((c) => c.statement.section === section)) continue;
      const views = new ViewDependencies();
      viewEventsBefore(context.document, context.host, (columns ??= columnsOfInterest(context.statements, changes)), (event) => views.apply(event));
      if (section.kind === 'down') {
        // A down runs after its up.
        for (const node of counterpartOf(context.document, context.statements, context.host, section)?.nodes ?? []) for (const event of viewEventsOf(node)) views.apply(event);
      }
      for (const s of list) {
        for (const change of changes) {
          if (change.statement !== s) continue;
          const using = views.viewsUsing(change.table.name, change.column);
          if (using.length === 0) continue;
          const names = using.map((v) => v).join(', ');
          context.report({
            statement: s,
            span: { start: s.span.start, end: clauseEnd(s, s.offsetOf(change.location)) },
            message: `${change.table.display}.${change.column} is read by ${using.length > 1 ? 'views' : 'view'} ${names}: PostgreSQL refuses to change its type ("cannot alter type of a column used by a view or rule"), and the migration fails.`,
            help: `Drop ${using.length > 1 ? 'them' : 'it'} before this statement and create ${using.length > 1 ? 'them' : 'it'} again after it, in the same transaction.`,
          });
        }
        for (const event of viewEventsOf(s.node)) views.apply(event);
      }
    }
  },
};

/** The columns whose type changes are checked, also under the names they had before the file renamed them. */
function columnsOfInterest(statements: readonly Statement[], changes: readonly TypeChange[]): { table: string; column: string }[] {
  const pairs = new Map<string, { table: string; column: string }>();
  const add = (table: string, column: string) => pairs.set(`${table}\u0000${column}`, { table, column });
  for (const c of changes) add(c.table.name, c.column);
  for (let i = statements.length - 1; i >= 0; i--) {
    if (statements[i].kind !== 'RenameStmt') continue;
    for (const e of viewEventsOf(statements[i].node)) {
      if (e.kind === 'rename-table') for (const p of [...pairs.values()]) if (p.table === e.to) add(e.from, p.column);
      if (e.kind === 'rename-column') for (const p of [...pairs.values()]) if (p.table === e.table && p.column === e.to) add(e.table, e.from);
    }
  }
  return [...pairs.values()];
}

interface TypeChange {
  statement: Statement;
  table: { name: string; display: string };
  column: string;
  /** Where the ColumnDef of the change is, in the statement (bytes). */
  location: number;
}

/** Every ALTER TABLE ... ALTER COLUMN ... TYPE of the file. */
function typeChanges(statements: readonly Statement[]): TypeChange[] {
  const out: TypeChange[] = [];
  for (let i = 0; i < statements.length; i++) {
    const s = statements[i];
    if (s.kind !== 'AlterTableStmt') continue;
    const alter = bodyOf(s.node, 'AlterTableStmt');
    if ((alter?.objtype ?? 'OBJECT_TABLE') !== 'OBJECT_TABLE') continue;
    const table = relationOf(alter.relation);
    if (!table) continue;
    for (const c of alter.cmds ?? []) {
      const cmd = c.AlterTableCmd;
      if (cmd?.subtype === 'AT_AlterColumnType' && typeof cmd.name === 'string') out.push({ statement: s, table, column: cmd.name, location: cmd.def?.ColumnDef?.location ?? 0 });
    }
  }
  return out;
}
