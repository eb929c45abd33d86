// Every rule, in docs order. Adding a rule: its file, one line here, its fixtures; test/rules checks
// that ids, files and docs agree.

import { banConcurrentIndexCreationInTransaction } from './ban-concurrent-index-creation-in-transaction';
import { constraintMissingNotValid } from './constraint-missing-not-valid';
import { emptyDownSection } from './empty-down-section';
import { migrationFormat } from './migration-format';
import { missingDownSection } from './missing-down-section';
import { requireConcurrentIndexCreation } from './require-concurrent-index-creation';
import { requireLockTimeout } from './require-lock-timeout';
import { syntaxError } from './syntax-error';
import type { Rule } from './types';
import { unusedIgnore } from './unused-ignore';

export const registry: readonly Rule[] = [
  // 1. Locks and rewrites
  requireConcurrentIndexCreation,
  banConcurrentIndexCreationInTransaction,
  constraintMissingNotValid,
  requireLockTimeout,
  // 4. Migration files
  missingDownSection,
  emptyDownSection,
  migrationFormat,
  syntaxError,
  unusedIgnore,
];

export const ruleIds: readonly string[] = registry.map((r) => r.id);

export function ruleById(id: string): Rule | undefined {
  return registry.find((r) => r.id === id);
}
