// The engine pieces the scaffolding commands use, loaded on first use (require in commands.ts), so
// activating the extension does not pay for the parser and the rules.

export { createDiskHost } from '../../../server/src/engine/host';
export { descriptiveSlug, newMigrationFiles, ScaffoldError } from '../../../server/src/engine/scaffold/naming';
export { carriedDefault, devDatabase, readCatalog, trioCatalogOf } from '../../../server/src/engine/scaffold/catalog';
export { parseColumnList, parseColumnRef, parseIdentifier, parseTableName, splitName } from '../../../server/src/engine/scaffold/sql-names';
export { resolveScaffoldTarget } from '../../../server/src/engine/scaffold/target';
export { newTrioFiles, planTrio, TRIO_KIND_SUMMARIES, TRIO_KINDS, trioSettingsFrom } from '../../../server/src/engine/scaffold/trio';
export { writeScaffold } from '../../../server/src/engine/scaffold/write';
export { initParser } from '../../../server/src/engine/sql/parser';
