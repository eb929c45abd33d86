// Expand / backfill / contract trios: every kind, in every format, generated for a sample schema and
// linted with the project's rules (no error-level finding, no ignore comment left unused, and for the
// default format no finding at all), with the structure the issue asks for.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import { defaultConfig, type ZdmConfig } from '../../server/src/engine/config/config';
import { describeMigration } from '../../server/src/engine/formats/index';
import { createMemoryHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import { FORMAT_IDS, type FormatId, type LintResult } from '../../server/src/engine/model';
import { ScaffoldError } from '../../server/src/engine/scaffold/naming';
import { newTrioFiles, planTrio, TRIO_KINDS, trioSettingsFrom, type TrioKind, type TrioRequest } from '../../server/src/engine/scaffold/trio';
import { parseVerifyDirectives } from '../../server/src/engine/scaffold/verify-directives';
import { initParser } from '../helpers/lint';
import { SAMPLE_CATALOG, SAMPLE_REQUESTS } from './sample';

before(() => initParser());


const DIRS: Record<FormatId, string> = {
  dbmate: '/p/db/migrations',
  goose: '/p/migrations',
  'golang-migrate': '/p/migrations',
  diesel: '/p/migrations',
  flyway: '/p/db/migration',
  liquibase: '/p/db/changelog',
  sqitch: '/p',
  prisma: '/p/prisma/migrations',
  plain: '/p/supabase/migrations',
};

const NOW = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

/** Known warnings, by format, that are right or not ours to change (see docs/scaffolding.md). */
const ACCEPTED_WARNINGS: Partial<Record<FormatId, string[]>> = {
  // The format layer runs every Liquibase rollback in a transaction, so the backfill's reverse copy
  // (a DO block with COMMIT) is reported there; Liquibase itself honours runInTransaction:false.
  liquibase: ['backfill-in-transaction'],
};

function generate(format: FormatId, request: TrioRequest, configOverrides: Partial<ZdmConfig> = {}) {
  const existing: Record<string, string> = format === 'sqitch' ? { '/p/sqitch.plan': '%syntax-version=1.0.0\n%project=app\n' } : {};
  const host = createMemoryHost(existing);
  const config: ZdmConfig = { ...defaultConfig(), format, ...configOverrides };
  const trio = newTrioFiles({ dir: DIRS[format], format, host, now: NOW }, request, trioSettingsFrom(config, { batchSize: 500 }));
  const files: Record<string, string> = {};
  for (const o of trio.outputs) for (const c of o.creates) files[c.path] = c.text;
  const layered = createMemoryHost(files, host);
  const results: LintResult[] = Object.entries(files)
    .filter(([file]) => file.endsWith('.sql'))
    .map(([file, text]) => lintText(file, text, { config, host: layered }));
  return { trio, files, results, host: layered };
}

function describeFindings(results: LintResult[], keep: (severity: string, rule: string) => boolean): string[] {
  return results.flatMap((r) =>
    r.findings
      .filter((f) => keep(f.severity, f.rule))
      .map((f) => `${path.basename(r.document.path)}:${r.document.text.slice(0, f.span.start).split('\n').length} ${f.severity} ${f.rule}: ${f.message}`),
  );
}

describe('trios lint clean', () => {
  for (const format of FORMAT_IDS) {
    describe(format, () => {
      for (const kind of TRIO_KINDS) {
        it(kind, () => {
          const { results } = generate(format, SAMPLE_REQUESTS[kind]);
          assert.deepEqual(results.flatMap((r) => r.ruleFailures), []);
          assert.deepEqual(describeFindings(results, (severity) => severity === 'error'), []);
          assert.deepEqual(describeFindings(results, (_, rule) => rule === 'unused-ignore'), []);
          if (format === 'dbmate' || format === 'goose' || format === 'golang-migrate') {
            assert.deepEqual(describeFindings(results, () => true), []);
          } else {
            const accepted = ACCEPTED_WARNINGS[format] ?? [];
            assert.deepEqual(describeFindings(results, (severity, rule) => severity === 'warning' && !accepted.includes(rule)), []);
          }
        });
      }
    });
  }

  // With the dev database's catalog: the column's indexes and constraints carried over (index builds in migrations of their own).
  for (const format of FORMAT_IDS) {
    for (const kind of ['rename-column', 'change-type', 'drop-column'] as const) {
      it(`${format}: ${kind} carrying the column's indexes and constraints`, () => {
        const { results, trio } = generate(format, { ...SAMPLE_REQUESTS[kind], catalog: SAMPLE_CATALOG });
        assert.ok(trio.outputs.length > 3);
        assert.deepEqual(results.flatMap((r) => r.statements.filter((s) => s.error).map((s) => `${s.text}: ${s.error!.message}`)), []);
        assert.deepEqual(results.flatMap((r) => r.ruleFailures), []);
        assert.deepEqual(describeFindings(results, (severity) => severity === 'error'), []);
        assert.deepEqual(describeFindings(results, (_, rule) => rule === 'unused-ignore'), []);
        const accepted = ACCEPTED_WARNINGS[format] ?? [];
        assert.deepEqual(describeFindings(results, (severity, rule) => severity === 'warning' && !accepted.includes(rule)), []);
        if (format === 'dbmate' || format === 'goose' || format === 'golang-migrate') assert.deepEqual(describeFindings(results, () => true), []);
      });
    }
  }

  it('quoted and schema-qualified names stay valid SQL', () => {
    const request: TrioRequest = { kind: 'rename-column', table: { schema: 'Sales', name: 'Order Items' }, column: 'Unit Price', to: 'unit price cents', type: 'numeric(10,2)', key: 'Item ID' };
    const { results, files } = generate('dbmate', request);
    assert.deepEqual(results.flatMap((r) => r.statements.filter((s) => s.error).map((s) => `${s.text}: ${s.error!.message}`)), []);
    assert.deepEqual(describeFindings(results, (severity) => severity === 'error'), []);
    const expand = Object.entries(files).find(([f]) => f.endsWith('_1_expand.sql'))![1];
    assert.match(expand, /ALTER TABLE "Sales"\."Order Items" ADD COLUMN "unit price cents" numeric\(10,2\);/);
  });

  it('uses lock_timeout from .zdm.json and the target version', () => {
    const { files } = generate('dbmate', SAMPLE_REQUESTS['rename-column'], { lockTimeout: '2s', pgVersion: 10 });
    const expand = Object.entries(files).find(([f]) => f.endsWith('_1_expand.sql'))![1];
    assert.match(expand, /^SET lock_timeout = '2s';$/m);
    assert.match(expand, /EXECUTE PROCEDURE/);
  });
});

describe('trio structure', () => {
  for (const kind of TRIO_KINDS) {
    it(`${kind}: three consecutive migrations sharing a slug, each with its role`, () => {
      const { trio, files, host } = generate('dbmate', SAMPLE_REQUESTS[kind]);
      const names = trio.outputs.map((o) => path.basename(o.primary));
      const slug = trio.plan.slug;
      assert.deepEqual(names, [`20240102030405_${slug}_1_expand.sql`, `20240102030406_${slug}_2_backfill.sql`, `20240102030407_${slug}_3_contract.sql`]);
      const [expand, backfill, contract] = trio.outputs.map((o) => describeMigration(o.primary, files[o.primary], host));
      for (const doc of [expand, backfill, contract]) assert.deepEqual(doc.sections.map((s) => s.kind), ['up', 'down']);
      assert.deepEqual(expand.sections.map((s) => s.transaction), ['transaction', 'transaction']);
      // One DO block alone in each transaction:false block: dbmate's one query string runs it outside a transaction.
      assert.deepEqual(backfill.sections.map((s) => s.transaction), ['implicit', 'implicit']);
      assert.deepEqual(contract.sections.map((s) => s.transaction), ['transaction', 'transaction']);
      assert.match(expand.text, /-- migrate:up\nSET lock_timeout = '5s';\n/);
      assert.match(contract.text, /-- migrate:up\nSET lock_timeout = '5s';\n/);
      assert.match(contract.text, /SHIP THIS IN ITS OWN DEPLOYMENT/);
      assert.match(contract.text, /Point of no return: /);
      const directives = parseVerifyDirectives(backfill.text);
      assert.ok(directives.length >= 1, 'the backfill has verification queries');
      for (const d of directives) assert.equal(d.expect, '0');
      if (kind !== 'rename-table') {
        assert.match(backfill.text, /DO \$backfill\$[\s\S]*LIMIT zdm_batch_size[\s\S]*COMMIT;[\s\S]*pg_sleep\(zdm_pause\)[\s\S]*pg_stat_replication/);
        assert.match(backfill.text, /zdm_batch_size constant integer := 500;/);
      }
    });
  }

  it('the backfill of the formats that send a file as one string is a single statement', () => {
    for (const kind of TRIO_KINDS) {
      const { trio, results } = generate('golang-migrate', SAMPLE_REQUESTS[kind]);
      const backfill = trio.outputs[1].creates.map((c) => c.path);
      for (const r of results.filter((x) => backfill.includes(x.document.path))) assert.ok(r.statements.length <= 1, `${kind}: ${path.basename(r.document.path)} has ${r.statements.length} statements`);
    }
  });

  it('rename-column and change-type: --default goes to the new column in the contract (the sync trigger needs it empty before), and back to the old one in the way back; the expand says what is not copied', () => {
    const { trio, files } = generate('dbmate', { ...SAMPLE_REQUESTS['rename-column'], default: "'anonymous'" });
    const [expand, , contract] = trio.outputs.map((o) => files[o.primary]);
    assert.doesNotMatch(expand, /SET DEFAULT/);
    const flat = (text: string) => text.replace(/\n--\s*/g, ' '); // the header's comment lines, unwrapped
    assert.match(flat(expand), /Not copied to full_name: its indexes, UNIQUE and foreign key constraints\./);
    const [contractUp, contractDown] = contract.split('-- migrate:down');
    assert.match(contractUp, /DROP COLUMN name;\nALTER TABLE users ALTER COLUMN full_name SET DEFAULT 'anonymous';\n/);
    assert.match(contractDown, /ALTER TABLE users ALTER COLUMN full_name DROP DEFAULT;\n/);
    assert.match(contractDown, /ADD COLUMN name text,\s+ALTER COLUMN name SET DEFAULT 'anonymous'/);
    const without = generate('dbmate', SAMPLE_REQUESTS['rename-column']);
    assert.match(flat(without.files[without.trio.outputs[0].primary]), /Not copied to full_name: the DEFAULT of name \(give it with --default: the contract sets it\), its indexes/);
  });

  it('split-table refuses a new table named as the old one, and a column listed twice', () => {
    assert.throws(() => generate('dbmate', { kind: 'split-table', table: { name: 'users' }, to: 'users', columns: [{ name: 'bio', type: 'text' }] }), /another name than the table/);
    assert.throws(() => generate('dbmate', { kind: 'split-table', table: { name: 'users' }, to: 'user_profiles', columns: [{ name: 'bio', type: 'text' }, { name: 'bio', type: 'text' }] }), /bio is listed twice/);
  });

  it('refuses options the change does not use, instead of ignoring them', () => {
    assert.throws(() => generate('dbmate', { kind: 'rename-table', table: { name: 'users' }, to: 'accounts', default: '0' }), /zdm trio rename-table does not use --default/);
    assert.throws(() => generate('dbmate', { ...SAMPLE_REQUESTS['rename-column'], using: 'lower(name)' }), /does not use --using/);
  });

  it('Liquibase: a changeset or rollback holding a dollar-quoted body is not split at its semicolons', () => {
    // Liquibase splits at every semicolon, inside $$ bodies too: the trigger function and the DO block broke.
    const { trio, files } = generate('liquibase', SAMPLE_REQUESTS['rename-column']);
    const [expand, backfill, contract] = trio.outputs.map((o) => /^--changeset .*$/m.exec(files[o.primary])![0]);
    assert.match(expand, / splitStatements:false/);
    assert.match(backfill, / runInTransaction:false splitStatements:false rollbackSplitStatements:false/);
    assert.match(contract, / rollbackSplitStatements:false/);
    assert.doesNotMatch(contract, / splitStatements:false/);
  });
});

describe('trio requests', () => {
  const settings = { lockTimeout: '5s' };
  it('say what is missing', () => {
    assert.throws(() => planTrio({ kind: 'rename-column', table: { name: 'users' }, column: 'name' }, settings), /needs the new column name \(--to\), the column's current type \(--type\)/);
    assert.throws(() => planTrio({ kind: 'change-type', table: { name: 'users' }, column: 'score', type: 'bigint' }, settings), /--from-type/);
    assert.throws(() => planTrio({ kind: 'set-not-null', table: { name: 'users' }, column: 'email' }, settings), /--backfill EXPR, or --default EXPR/);
    assert.throws(() => planTrio({ kind: 'split-table', table: { name: 'users' }, to: 'profiles' }, settings), /--columns name:type/);
    assert.throws(() => planTrio({ kind: 'rename-table', table: { name: 'users' }, column: 'x', to: 'y' }, settings), /takes a table, not a column/);
  });

  it('refuse SQL that is not one fragment', () => {
    assert.throws(() => planTrio({ ...SAMPLE_REQUESTS['add-not-null-column'], default: "'a'; DROP TABLE users" }, settings), (e: unknown) => e instanceof ScaffoldError && /without ";"/.test(e.message));
    assert.throws(() => planTrio({ ...SAMPLE_REQUESTS['drop-column'], type: "text'" }, settings), /unterminated/);
  });

  it('refuse changing the key the backfill walks', () => {
    assert.throws(() => planTrio({ kind: 'drop-column', table: { name: 'users' }, column: 'id', type: 'bigint' }, settings), /is the key the backfill walks/);
  });
});
