// Every rule, in docs order. Adding a rule: its file, one import and one line in its family's block
// here, its fixtures under test/fixtures/rules/<id>/; `npm run docs` regenerates docs/rules/. Tests
// fail when ids, fixtures and docs disagree.

import type { Rule } from './types';

// ── 1. Locks and rewrites ───────────────────────────────────────────────────────────────────────────
import { banConcurrentIndexCreationInTransaction } from './ban-concurrent-index-creation-in-transaction';
import { constraintMissingNotValid } from './constraint-missing-not-valid';
import { requireConcurrentIndexCreation } from './require-concurrent-index-creation';
import { requireLockTimeout } from './require-lock-timeout';

const locks: Rule[] = [requireConcurrentIndexCreation, banConcurrentIndexCreationInTransaction, constraintMissingNotValid, requireLockTimeout];

// ── 2. Breaking the running application ─────────────────────────────────────────────────────────────
import { banDropColumn } from './ban-drop-column';
import { banDropDatabase } from './ban-drop-database';
import { banDropDefault } from './ban-drop-default';
import { banDropFunction } from './ban-drop-function';
import { banDropNotNull } from './ban-drop-not-null';
import { banDropSchema } from './ban-drop-schema';
import { banDropTable } from './ban-drop-table';
import { banDropTrigger } from './ban-drop-trigger';
import { banDropType } from './ban-drop-type';
import { banDropView } from './ban-drop-view';
import { banTruncate } from './ban-truncate';
import { banTruncateCascade } from './ban-truncate-cascade';
import { expandAndContractInOneMigration } from './expand-and-contract-in-one-migration';
import { renamingColumn } from './renaming-column';
import { renamingTable } from './renaming-table';

const breaking: Rule[] = [
  renamingColumn,
  renamingTable,
  banDropColumn,
  banDropTable,
  banDropDatabase,
  banDropSchema,
  banDropNotNull,
  banTruncate,
  banTruncateCascade,
  banDropView,
  banDropFunction,
  banDropType,
  banDropDefault,
  banDropTrigger,
  expandAndContractInOneMigration,
];

// ── 3. Data changes and backfills ───────────────────────────────────────────────────────────────────
import { backfillInTransaction } from './backfill-in-transaction';
import { mixedSchemaAndDataChanges } from './mixed-schema-and-data-changes';
import { unbatchedBackfill } from './unbatched-backfill';

const data: Rule[] = [mixedSchemaAndDataChanges, unbatchedBackfill, backfillInTransaction];

// ── 4. Migration files ──────────────────────────────────────────────────────────────────────────────
import { editedAppliedMigration } from './edited-applied-migration';
import { emptyDownSection } from './empty-down-section';
import { migrationFormat } from './migration-format';
import { missingDownSection } from './missing-down-section';
import { syntaxError } from './syntax-error';
import { unusedIgnore } from './unused-ignore';
import { banUncommittedTransaction } from './ban-uncommitted-transaction';
import { downDoesNotReverseUp } from './down-does-not-reverse-up';
import { duplicateMigrationVersion } from './duplicate-migration-version';
import { irreversibleDown } from './irreversible-down';
import { migrationFilename } from './migration-filename';
import { preferRobustStmts } from './prefer-robust-stmts';
import { transactionNesting } from './transaction-nesting';
import { trioIncomplete } from './trio-incomplete';

const files: Rule[] = [
  missingDownSection,
  emptyDownSection,
  editedAppliedMigration,
  migrationFormat,
  syntaxError,
  unusedIgnore,
  downDoesNotReverseUp,
  irreversibleDown,
  migrationFilename,
  duplicateMigrationVersion,
  transactionNesting,
  banUncommittedTransaction,
  preferRobustStmts,
  trioIncomplete,
];

// ── 5. Schema style ─────────────────────────────────────────────────────────────────────────────────
import { banAlterDomainWithAddConstraint } from './ban-alter-domain-with-add-constraint';
import { banCharField } from './ban-char-field';
import { banCreateDomainWithConstraint } from './ban-create-domain-with-constraint';
import { banDuplicateColumnAssignments } from './ban-duplicate-column-assignments';
import { creatingEnum } from './creating-enum';
import { identifierTooLong } from './identifier-too-long';
import { missingForeignKeyIndex } from './missing-foreign-key-index';
import { preferBigintOverInt } from './prefer-bigint-over-int';
import { preferBigintOverSmallint } from './prefer-bigint-over-smallint';
import { preferIdentity } from './prefer-identity';
import { preferJsonb } from './prefer-jsonb';
import { preferTextField } from './prefer-text-field';
import { preferTimestamptz } from './prefer-timestamptz';
import { requireEnumValueOrdering } from './require-enum-value-ordering';
import { requireTableSchema } from './require-table-schema';

const style: Rule[] = [
  preferBigintOverInt,
  preferBigintOverSmallint,
  preferIdentity,
  preferTextField,
  preferTimestamptz,
  banCharField,
  preferJsonb,
  creatingEnum,
  identifierTooLong,
  requireEnumValueOrdering,
  banCreateDomainWithConstraint,
  banAlterDomainWithAddConstraint,
  requireTableSchema,
  banDuplicateColumnAssignments,
  missingForeignKeyIndex,
];

export const registry: readonly Rule[] = [...locks, ...breaking, ...data, ...files, ...style];

export const ruleIds: readonly string[] = registry.map((r) => r.id);

export function ruleById(id: string): Rule | undefined {
  return registry.find((r) => r.id === id);
}
