import { commandsOfExistingTables } from '../context';
import { clauseEnd } from '../sql/tokens';
import type { Rule } from './types';

export const addingExclusionConstraint: Rule = {
  id: 'adding-exclusion-constraint',
  family: 'locks',
  summary: 'ADD CONSTRAINT ... EXCLUDE on an existing table',
  defaultLevel: 'error',
  sameAs: ['postgres-language-server: banAddExclusionConstraint (was avoidAddingExclusionConstraint)', 'pgfence: add-constraint-exclude', 'strong_migrations: add_exclusion_constraint', 'Eugene: E8'],
  docs: {
    why: 'An exclusion constraint builds its index and checks every pair of conflicting rows under ACCESS EXCLUSIVE on the table: no reads, no writes until it is done. Unlike CHECK and FOREIGN KEY it cannot be added NOT VALID, and unlike UNIQUE it cannot use an index built concurrently.',
    instead: 'There is no online way to add one to a large table. Add it while the table is small, or in a maintenance window, with a short `lock_timeout`; or enforce the rule in the application plus a periodic check query until such a window.',
    invalid: [{ sql: "-- migrate:up\nSET lock_timeout = '5s';\nALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);\n\n-- migrate:down\nALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap;\n" }],
    valid: [
      { sql: '-- migrate:up\nCREATE TABLE bookings (id bigint PRIMARY KEY, room_id bigint, during tstzrange);\nALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room_id WITH =, during WITH &&);\n\n-- migrate:down\nDROP TABLE bookings;\n', note: 'The table is new and empty.' },
    ],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    const commands = commandsOfExistingTables(context);
    for (let i = 0; i < commands.length; i++) {
      const { statement: s, table, c } = commands[i];
      const constraint = c.AlterTableCmd?.subtype === 'AT_AddConstraint' ? c.AlterTableCmd.def?.Constraint : undefined;
      if (constraint?.contype !== 'CONSTR_EXCLUSION') continue;
      const start = s.offsetOf(constraint.location);
      context.report({
        statement: s,
        span: { start, end: clauseEnd(s, start) },
        message: `Adding EXCLUDE constraint${constraint.conname ? ' ' + constraint.conname : ''} builds its index and checks every row under ACCESS EXCLUSIVE on ${table.display}: reads and writes wait until it is done, and there is no NOT VALID form.`,
        help: 'No online alternative exists: add it while the table is small or in a maintenance window, with a short lock_timeout.',
      });
    }
  },
};
