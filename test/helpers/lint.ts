// Linting SQL in tests, through the real engine, with files held in memory.

import * as path from 'node:path';
import { defaultConfig, type ZdmConfig } from '../../server/src/engine/config/config';
import { createMemoryHost } from '../../server/src/engine/host';
import { lintText } from '../../server/src/engine/lint';
import type { FormatId, LintResult } from '../../server/src/engine/model';
import { toFileReport } from '../../server/src/engine/report';
import type { DocExample, Rule } from '../../server/src/engine/rules/types';
import { renderText } from '../../server/src/cli/reporters';

export { initParser } from '../../server/src/engine/sql/parser';

/** Where in-memory example files live. */
export const VIRTUAL_ROOT = path.resolve('/virtual/project/db/migrations');

export interface LintSqlOptions {
  path?: string;
  format?: FormatId;
  pgVersion?: number;
  /** Other files beside it, by path relative to its folder. */
  files?: Record<string, string>;
  config?: Partial<ZdmConfig>;
  ignoreBaseline?: boolean;
}

export function lintSql(sql: string, options: LintSqlOptions = {}): LintResult {
  const filePath = path.resolve(VIRTUAL_ROOT, options.path ?? defaultName(options.format));
  const dir = path.dirname(filePath);
  const files: Record<string, string> = { [filePath]: sql };
  for (const [name, text] of Object.entries(options.files ?? {})) files[path.resolve(dir, name)] = text;
  const config: ZdmConfig = { ...defaultConfig(), ...options.config };
  if (options.format) config.format = options.format;
  if (options.pgVersion) config.pgVersion = options.pgVersion;
  return lintText(filePath, sql, { config, host: createMemoryHost(files), ignoreBaseline: options.ignoreBaseline });
}

function defaultName(format: FormatId | undefined): string {
  switch (format) {
    case 'golang-migrate':
      return '20240101000000_example.up.sql';
    case 'flyway':
      return 'V1__example.sql';
    case 'diesel':
      return '2024-01-01-000000_example/up.sql';
    case 'prisma':
      return '20240101000000_example/migration.sql';
    default:
      return '20240101000000_example.sql';
  }
}

/**
 * Lints a rule's docs example: without a format, a path or markers, the SQL is one plain migration.
 * An opt-in rule (default level `off`) is switched on for its own examples.
 */
export function lintExample(example: DocExample, rule?: Rule): LintResult {
  // With no path and no format's markers (dbmate's, goose's), an example is a plain file.
  const format = example.format ?? (example.path === undefined && !/^--\s*(migrate:|\+goose\s)/im.test(example.sql) ? 'plain' : undefined);
  const config: Partial<ZdmConfig> = rule?.defaultLevel === 'off' ? { rules: { [rule.id]: { level: 'info', options: {} } } } : {};
  if (example.golangMigrateMultiStatement) config.golangMigrate = { multiStatement: true };
  return lintSql(example.sql, { path: example.path, format, pgVersion: example.pgVersion, files: example.files, config });
}

/** The findings as the CLI's text output shows them (no colour, paths relative to the virtual root). */
export function renderFindings(result: LintResult, rule?: string): string {
  const report = toFileReport('/' + path.relative(VIRTUAL_ROOT, result.document.path).split(path.sep).join('/'), result);
  if (rule) report.findings = report.findings.filter((f) => f.rule === rule);
  return renderText([report], { cwd: '/', color: false, fileCount: 1, version: 'test' });
}
