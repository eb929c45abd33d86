import * as path from 'node:path';
import { basenameOf, dirnameOf } from '../paths';
import { firstLineSpan } from '../formats/common';
import { findTrioSibling, trioDescription, trioStepOf, type TrioStep } from '../scaffold/trio-names';
import { parseVerifyDirectives } from '../scaffold/verify-directives';
import { findVerifyState, verifyRecordKey } from '../scaffold/verify-record';
import type { Span } from '../model';
import { lineBreakAfter } from '../text/offsets';
import type { Rule, RuleContext } from './types';

// A trio's contract migration (`..._3_contract`) removes the old structure. It is safe only after its
// expand (`_1_expand`) and backfill (`_2_backfill`) exist and ran, and the backfill's `-- zdm:verify`
// queries passed on the dev database. The verification result comes from `.zdm/verify.json`, which
// `zdm verify` writes (scaffold/verify-record.ts); linting never touches a database.

const CONTRACT = '-- migrate:up\nSET lock_timeout = \'5s\';\nALTER TABLE users DROP COLUMN name;\n\n-- migrate:down\nSET lock_timeout = \'5s\';\nALTER TABLE users ADD COLUMN name text;\n';
const EXPAND = '-- migrate:up\nALTER TABLE users ADD COLUMN full_name text;\n\n-- migrate:down\nALTER TABLE users DROP COLUMN full_name;\n';
const BACKFILL = "-- migrate:up transaction:false\nUPDATE users SET full_name = name WHERE id BETWEEN 1 AND 1000;\n-- zdm:verify SELECT count(*) FROM users WHERE full_name IS DISTINCT FROM name -- expect 0\n\n-- migrate:down transaction:false\nSELECT 1;\n";
const NAME = 'rename_users_name_to_full_name';
const verified = (passed: boolean) => JSON.stringify({ [`db/migrations/20240101000001_${NAME}_2_backfill.sql`]: { passed, at: '2024-01-02T10:00:00.000Z' } });

export const trioIncomplete: Rule = {
  id: 'trio-incomplete',
  family: 'files',
  summary: "A contract migration whose expand or backfill is missing, or whose backfill's verification has not passed",
  defaultLevel: 'warning',
  docs: {
    why:
      "A breaking change ships as three migrations (`zdm trio` writes them): expand adds the new structure, backfill copies the data in batches, contract removes the old structure. The contract is the step that deletes: shipped without its expand, it removes what the running application still uses; shipped before the backfill is complete, it drops values that were never copied. Migrations named `..._1_expand`, `..._2_backfill`, `..._3_contract` with the same slug form a trio; this rule looks at the contract.\n\nWhen the project has a dev database (zdm's runner has recorded `.zdm/applied.json`, or `zdm verify` has recorded `.zdm/verify.json`), the rule also reports a contract whose backfill's `-- zdm:verify` queries have not passed there yet. Linting never connects to the database: it reads the result `zdm verify` recorded.",
    instead: 'Keep the three files together and ship them in order, each in its own deployment. Run the backfill, then `zdm verify` on it, and ship the contract once every reader has moved and the verification passed.',
    invalid: [
      {
        sql: CONTRACT,
        path: `20240101000002_${NAME}_3_contract.sql`,
        files: { [`20240101000000_${NAME}_1_expand.sql`]: EXPAND },
        note: 'The backfill (`..._2_backfill`) is missing.',
      },
      {
        sql: CONTRACT,
        path: `20240101000002_${NAME}_3_contract.sql`,
        files: { [`20240101000000_${NAME}_1_expand.sql`]: EXPAND, [`20240101000001_${NAME}_2_backfill.sql`]: BACKFILL, '../../.zdm/verify.json': verified(false) },
        note: "The backfill's verification failed on the dev database.",
      },
    ],
    valid: [
      {
        sql: CONTRACT,
        path: `20240101000002_${NAME}_3_contract.sql`,
        files: { [`20240101000000_${NAME}_1_expand.sql`]: EXPAND, [`20240101000001_${NAME}_2_backfill.sql`]: BACKFILL, '../../.zdm/verify.json': verified(true) },
      },
      {
        sql: CONTRACT,
        path: `20240101000002_${NAME}_3_contract.sql`,
        files: { [`20240101000000_${NAME}_1_expand.sql`]: EXPAND, [`20240101000001_${NAME}_2_backfill.sql`]: BACKFILL },
        note: 'No dev database known to zdm: only the files are checked.',
      },
    ],
  },
  check(context) {
    const doc = context.document;
    const trio = trioStepOf(doc);
    if (!trio || trio.step !== 'contract') return;
    const span = anchor(context);
    const siblings = new Map<TrioStep, string | undefined>((['expand', 'backfill'] as const).map((step) => [step, findTrioSibling(doc, trio.slug, step, context.host)]));
    const missing = [...siblings].filter(([, file]) => file === undefined).map(([step]) => step);
    if (missing.length > 0) {
      const names = missing.map((step) => `${trioDescription(trio.slug, step)}`).join(' and ');
      context.report({
        span,
        message: `This contract migration has no ${missing.join(' and ')} migration beside it (${names}): removing the old structure before the new one exists${missing.includes('backfill') ? ' and is filled' : ''} breaks the running application and loses data.`,
        help: 'Ship the trio in order, each step in its own deployment: expand, backfill, then this contract (zdm trio writes all three).',
      });
      return;
    }
    const backfill = siblings.get('backfill')!;
    const state = findVerifyState(context.host, doc.path);
    if (!state) return;
    const directives = parseVerifyDirectives(context.host.readFile(backfill) ?? '');
    if (directives.length === 0) return;
    const entry = state.record?.[verifyRecordKey(state.root, backfill)];
    if (entry?.passed) return;
    const name = basenameOf(backfill.endsWith(`${path.sep}up.sql`) || backfill.endsWith(`${path.sep}migration.sql`) ? dirnameOf(backfill) : backfill);
    context.report({
      span,
      message: entry
        ? `The backfill ${name} failed its verification on the dev database${entry.at ? ` (${entry.at.replace('T', ' ').slice(0, 19)})` : ''}${entry.failures?.length ? `: ${entry.failures.length} of its ${directives.length} zdm:verify queries ${entry.failures.length === 1 ? 'does' : 'do'} not hold` : ''}. Contracting now drops data the backfill has not copied.`
        : `The backfill ${name} has not been verified on the dev database: its ${directives.length} zdm:verify ${directives.length === 1 ? 'query has' : 'queries have'} not run there, so nothing shows that every row was copied before this contract drops the old structure.`,
      help: 'Run the backfill, then `zdm verify` on it; ship this contract once the verification passes.',
    });
  },
};

/** Where the finding goes: the up marker, else the first line of the first up statement, else the first line. */
function anchor(context: RuleContext): Span {
  const up = context.document.sections.find((s) => s.kind === 'up');
  if (up?.marker) return up.marker;
  const first = context.statements.find((s) => s.section === up);
  if (!first) return firstLineSpan(context.document.text);
  return { start: first.span.start, end: first.span.start + lineBreakAfter(first.text, 0).end };
}
