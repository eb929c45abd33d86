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

const breaking: Rule[] = [];

// ── 3. Data changes and backfills ───────────────────────────────────────────────────────────────────

const data: Rule[] = [];

// ── 4. Migration files ──────────────────────────────────────────────────────────────────────────────
import { editedAppliedMigration } from './edited-applied-migration';
import { emptyDownSection } from './empty-down-section';
import { migrationFormat } from './migration-format';
import { missingDownSection } from './missing-down-section';
import { syntaxError } from './syntax-error';
import { trioIncomplete } from './trio-incomplete';
import { unusedIgnore } from './unused-ignore';

const files: Rule[] = [missingDownSection, emptyDownSection, editedAppliedMigration, migrationFormat, syntaxError, unusedIgnore, trioIncomplete];

// ── 5. Schema style ─────────────────────────────────────────────────────────────────────────────────

const style: Rule[] = [];

export const registry: readonly Rule[] = [...locks, ...breaking, ...data, ...files, ...style];

export const ruleIds: readonly string[] = registry.map((r) => r.id);

export function ruleById(id: string): Rule | undefined {
  return registry.find((r) => r.id === id);
}
