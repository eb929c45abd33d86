import { schemaFactsOf } from '../context';
import { setEarlierInSection, timeoutFix } from '../fixes/timeouts';
import { alternativeOn, takenBlocksTraffic } from '../locks';
import type { Section, Statement } from '../model';
import type { RelationRef } from '../sql/ast';
import { headSpan } from '../sql/tokens';
import type { Rule, RuleContext } from './types';

export const requireStatementTimeout: Rule = {
  id: 'require-statement-timeout',
  family: 'locks',
  summary: 'A statement that scans or rewrites a table under a traffic-blocking lock, with no online alternative, and no statement_timeout set before it',
  defaultLevel: 'warning',
  sameAs: ['squawk: require-statement-timeout (was part of require-timeout-settings)', 'postgres-language-server: requireStatementTimeout', 'pgfence: missing-statement-timeout'],
  fixable: true,
  docs: {
    why: 'Some statements read or rewrite a whole table while holding a lock that blocks traffic, and have no online form: an exclusion constraint, SET TABLESPACE, SET LOGGED / UNLOGGED, SET NOT NULL before PostgreSQL 12. They block the table for as long as they run, and nothing stops them: on a table much larger than in testing, a migration expected to take seconds holds the lock for an hour. `statement_timeout` bounds that: the statement is cancelled and the migration rolled back instead.',
    instead:
      "Start the section with `SET statement_timeout = '60s';` (the value comes from `statementTimeout` in .zdm.json), sized to what the table can afford to be blocked. Statements that have an online form (CREATE INDEX, CHECK and FOREIGN KEY without NOT VALID, type changes, ...) are reported by the rule for that form instead: the fix there is the online form, not a time limit. Statements that do not block traffic (CREATE INDEX CONCURRENTLY, VALIDATE CONSTRAINT) are not flagged: cancelling them helps no one.",
    invalid: [
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);\n\n-- migrate:down\nALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap;\n",
      },
    ],
    valid: [
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nREFRESH MATERIALIZED VIEW CONCURRENTLY order_totals;\n\n-- migrate:down\n", note: 'The online alternative: EXCLUSIVE on the view lets its reads go on (nobody writes to a materialized view).' },
      {
        sql: "-- migrate:up\nSET lock_timeout = '5s';\nSET statement_timeout = '60s';\nALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);\n\n-- migrate:down\nALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap;\n",
      },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;\n\n-- migrate:down\n", note: 'VALIDATE CONSTRAINT scans without blocking reads or writes.' },
      { sql: "-- migrate:up\nSET lock_timeout = '5s';\nCREATE INDEX orders_status_idx ON orders (status);\n\n-- migrate:down\n", note: 'CREATE INDEX has an online form: require-concurrent-index-creation reports it.' },
    ],
  },
  check(context) {
    const reported = new Set<Section>();
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (reported.has(s.section)) continue;
      const timeout = context.factsOf(s).statementTimeout;
      if (timeout && timeout.ms !== 0) continue;
      const work = slowBlockingWork(context, s);
      if (!work) continue;
      reported.add(s.section);
      const value = context.config.statementTimeout;
      context.report({
        statement: s,
        span: headSpan(s),
        message: `${work} with no statement_timeout set${timeout ? ' (it is 0: no limit)' : ''}: nothing stops it if the table is larger than expected, and traffic stays blocked for as long as it runs.`,
        help: `Set statement_timeout ${setEarlierInSection(context, s, 'statement_timeout') ? 'before it' : 'at the top of the section'} (SET statement_timeout = '${value}';), sized to how long the table can be blocked.`,
        // Where it was set (to 0) or reset earlier in the section, one at the top would be overridden.
        fixes: [timeoutFix(context, s, 'statement_timeout', value)],
      });
    }
  },
};

function slowBlockingWork(context: RuleContext, s: Statement): string | undefined {
  const { facts, taken } = schemaFactsOf(context).locksOf(s, context.pgVersion);
  for (const fact of facts) {
    if (!fact.scan && !fact.rewrite && !fact.rebuildsIndexes) continue;
    if (alternativeOn(fact, context.pgVersion)) continue; // the rule for that alternative reports it
    const own = (object: RelationRef | undefined) => object !== undefined && schemaFactsOf(context).ownedByMigration(object, s);
    const locks = taken.filter((t) => t.fact === fact.id);
    // What is read or rewritten is the statement's own table (a foreign key's check reads the new rows
    // and looks each one up in the referenced table): a table this migration created is empty.
    const worked = locks.find((t) => t.role !== 'referenced table') ?? locks[0];
    if (own(worked?.object)) continue;
    const live = locks.find((t) => takenBlocksTraffic(t) && !own(t.object));
    if (!live) continue;
    const object = worked?.object?.display ?? `the ${worked?.role ?? live.role}`;
    const lock = live !== worked && live.object ? `${live.mode} on ${live.object.display}` : live.mode;
    return `${fact.label} ${fact.rewrite ? 'rewrites' : fact.rebuildsIndexes ? 'rebuilds indexes of' : 'reads all of'} ${object} under ${lock}`;
  }
  return undefined;
}
