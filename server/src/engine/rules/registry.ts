// Every rule, in docs order. Adding a rule: its file, one import and one line in its family's block
// here, its fixtures under test/fixtures/rules/<id>/; `npm run docs` regenerates docs/rules/. Tests
// fail when ids, fixtures and docs disagree.

import type { Rule } from './types';

// ── 1. Locks and rewrites ───────────────────────────────────────────────────────────────────────────
import { addingExclusionConstraint } from './adding-exclusion-constraint';
import { addingFieldWithDefault } from './adding-field-with-default';
import { addingForeignKeyConstraint } from './adding-foreign-key-constraint';
import { addingNotNullableField } from './adding-not-nullable-field';
import { addingPrimaryKeyConstraint } from './adding-primary-key-constraint';
import { addingRequiredField } from './adding-required-field';
import { addingSerialColumn } from './adding-serial-column';
import { alterEnumAddValueInTransaction } from './alter-enum-add-value-in-transaction';
import { attachingPartitionWithoutCheck } from './attaching-partition-without-check';
import { avoidCreateTrigger } from './avoid-create-trigger';
import { avoidEnableDisableTrigger } from './avoid-enable-disable-trigger';
import { banConcurrentIndexCreationInTransaction } from './ban-concurrent-index-creation-in-transaction';
import { banVacuumFull } from './ban-vacuum-full';
import { changingColumnType } from './changing-column-type';
import { columnTypeUsedByView } from './column-type-used-by-view';
import { constraintMissingNotValid } from './constraint-missing-not-valid';
import { disallowedUniqueConstraint } from './disallowed-unique-constraint';
import { lockTimeoutTooLong } from './lock-timeout-too-long';
import { multipleAlterTable } from './multiple-alter-table';
import { requireConcurrentIndexCreation } from './require-concurrent-index-creation';
import { requireConcurrentIndexDeletion } from './require-concurrent-index-deletion';
import { requireConcurrentPartitionDetach } from './require-concurrent-partition-detach';
import { requireConcurrentRefreshMatview } from './require-concurrent-refresh-matview';
import { requireConcurrentReindex } from './require-concurrent-reindex';
import { requireLockTimeout } from './require-lock-timeout';
import { requireStatementTimeout } from './require-statement-timeout';
import { statementsAfterAccessExclusive } from './statements-after-access-exclusive';
import { validateConstraintInSameTransaction } from './validate-constraint-in-same-transaction';
import { wideLockWindow } from './wide-lock-window';

const locks: Rule[] = [
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentReindex,
  requireConcurrentRefreshMatview,
  requireConcurrentPartitionDetach,
  banConcurrentIndexCreationInTransaction,
  constraintMissingNotValid,
  addingForeignKeyConstraint,
  validateConstraintInSameTransaction,
  addingNotNullableField,
  addingRequiredField,
  addingFieldWithDefault,
  addingSerialColumn,
  changingColumnType,
  columnTypeUsedByView,
  disallowedUniqueConstraint,
  addingPrimaryKeyConstraint,
  addingExclusionConstraint,
  banVacuumFull,
  attachingPartitionWithoutCheck,
  avoidCreateTrigger,
  avoidEnableDisableTrigger,
  alterEnumAddValueInTransaction,
  statementsAfterAccessExclusive,
  wideLockWindow,
  multipleAlterTable,
  requireLockTimeout,
  requireStatementTimeout,
  lockTimeoutTooLong,
];

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

/** The option names of each rule that has options (what .zdm.json may set for it). */
export const ruleOptions: ReadonlyMap<string, readonly string[]> = new Map(registry.filter((r) => r.options).map((r) => [r.id, Object.keys(r.options!)]));

export function ruleById(id: string): Rule | undefined {
  return registry.find((r) => r.id === id);
}
