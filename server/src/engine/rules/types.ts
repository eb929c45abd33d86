// What a rule is: one declaration holding its id, metadata, documentation with runnable examples,
// the check, and the fix builder. Rules never import each other; shared facts come from the context.

import type { ZdmConfig } from '../config/config';
import type { FileFacts, StatementFacts } from '../context';
import type { ProjectHost } from '../host';
import type { FileCreate, FormatId, MigrationDocument, Severity, Span, Statement, TextEdit } from '../model';
import type { RuleLevel } from '../config/config';

export type RuleFamily = 'locks' | 'breaking' | 'data' | 'files' | 'style';

export const FAMILY_TITLES: Record<RuleFamily, string> = {
  locks: 'Locks and rewrites (blocking production)',
  breaking: 'Breaking the running application',
  data: 'Data changes and backfills',
  files: 'Migration files',
  style: 'Schema style',
};

export interface DocExample {
  /** The file text. */
  sql: string;
  /** File name to lint it as (default `20240101000000_example.sql`: dbmate when the SQL has its markers, else plain). */
  path?: string;
  format?: FormatId;
  pgVersion?: number;
  /** Other files that exist beside it (for split formats), by path relative to the example's folder. */
  files?: Record<string, string>;
  /** The project's .zdm.json says golang-migrate runs with x-multi-statement=true (`"golangMigrate": { "multiStatement": true }`). */
  golangMigrateMultiStatement?: boolean;
  /** A sentence shown above the example in the docs. */
  note?: string;
}

export interface RuleDocs {
  /** Why it matters: what happens to production (markdown). */
  why: string;
  /** What to do instead (markdown). */
  instead?: string;
  /** Each yields exactly one finding of this rule. */
  invalid: DocExample[];
  /** Each yields no finding of this rule. */
  valid: DocExample[];
}

export interface Rule {
  id: string;
  family: RuleFamily;
  /** One line: what it flags. */
  summary: string;
  defaultLevel: RuleLevel;
  /** Rule ids of other linters that check the same thing (squawk, Eugene, ...), for users moving over. */
  sameAs?: string[];
  /** Whether the rule can offer a fix, for the docs index. */
  fixable?: boolean;
  /** The options `.zdm.json` may set for it (`"rules": { id: { "options": {...} } }`), each with what it does. */
  options?: Record<string, string>;
  docs: RuleDocs;
  check(context: RuleContext): void;
}

export interface FixSpec {
  title: string;
  edits: TextEdit[];
  creates?: FileCreate[];
  /** Default true: safe fixes apply on `--fix` and fix-all on save. */
  safe?: boolean;
}

export interface Report {
  span: Span;
  message: string;
  help?: string;
  statement?: Statement;
  fixes?: FixSpec[];
  /** A severity for this finding when .zdm.json does not set the rule's level (dbmate refusing a file is an error). */
  severity?: Severity;
}

export interface RuleContext {
  readonly document: MigrationDocument;
  readonly statements: readonly Statement[];
  readonly facts: FileFacts;
  readonly pgVersion: number;
  readonly config: ZdmConfig;
  readonly options: Record<string, unknown>;
  readonly host: ProjectHost;
  /** Facts about one statement (transaction state, timeouts in force, ...). */
  factsOf(statement: Statement): StatementFacts;
  report(report: Report): void;
}

/** The level a rule runs at, after .zdm.json. */
export function levelOf(rule: Rule, config: ZdmConfig): RuleLevel {
  return config.rules[rule.id]?.level ?? rule.defaultLevel;
}

export function isSeverity(level: RuleLevel): level is Severity {
  return level !== 'off';
}
