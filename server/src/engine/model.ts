// The engine's shared vocabulary: migration documents, sections, statements, findings and fixes.
// Nothing here knows about VS Code or LSP. Offsets are UTF-16 code units into the file text.

import type { Token } from './sql/lexer';
import type { PlaceholderSyntax } from './sql/placeholders';
import type { Span } from './text/offsets';

export type { Span } from './text/offsets';

export type FormatId =
  | 'dbmate'
  | 'goose'
  | 'golang-migrate'
  | 'diesel'
  | 'flyway'
  | 'liquibase'
  | 'sqitch'
  | 'prisma'
  | 'plain';

export const FORMAT_IDS: readonly FormatId[] = [
  'dbmate',
  'goose',
  'golang-migrate',
  'diesel',
  'flyway',
  'liquibase',
  'sqitch',
  'prisma',
  'plain',
];

/**
 * How the migration tool runs a section:
 * - `transaction`: wrapped in BEGIN/COMMIT by the tool;
 * - `none`: statements run one by one in autocommit;
 * - `implicit`: the whole section is sent as one multi-statement query string, which PostgreSQL runs
 *   as one implicit transaction when it holds more than one statement (golang-migrate, Prisma).
 */
export type TransactionMode = 'transaction' | 'none' | 'implicit';

export type SectionKind = 'up' | 'down';

/** What a file is within its format: a whole migration, or one half of a split pair. */
export type FileRole = 'migration' | 'up' | 'down' | 'repeatable' | 'verify' | 'unknown';

export interface Section {
  kind: SectionKind;
  /** The section's content, after its marker line. */
  span: Span;
  /** The marker comment that opens the section (`-- migrate:up ...`), when the format has one. */
  marker?: Span;
  transaction: TransactionMode;
  /** Where the transaction mode came from, for messages ("dbmate wraps each section in a transaction"). */
  transactionSource: string;
  /**
   * Text to lex and parse for this section, of the same length as the file text. It is the file text
   * itself for most formats; Liquibase `--rollback` lines are comment text with their prefix blanked;
   * in a script psql runs, meta-commands are blanked (sql/psql.ts); Liquibase delimiters other than
   * `;` are written `;`.
   */
  source: string;
  /**
   * Parts of a non-transactional section that the tool sends as one query string each (goose
   * `StatementBegin` ... `StatementEnd` blocks, from the start of the Begin line to the end of the End
   * line; goose statements sharing a line, `a; b;`, up to the line it ends them at; statements psql
   * joins with `\;`; what a Liquibase changeset holds between two of its `endDelimiter`s): PostgreSQL
   * runs one holding several statements as one implicit transaction.
   */
  queryStrings?: Span[];
  /** goose's `StatementBegin` ... `StatementEnd` blocks (from the Begin line to the End line), whatever the transaction mode: inside one, goose does not cut at lines ending in `;`. */
  statementBlocks?: Span[];
  /** Why the `queryStrings` are sent whole, for messages ("goose sends the StatementBegin/StatementEnd block as one query string"). */
  queryStringSource?: string;
  /**
   * What, on a line of its own, ends a query string there (a Liquibase `endDelimiter`): a statement
   * inserted at the start of one is followed by it, so that the tool sends the new statement alone.
   */
  queryStringSeparator?: string;
  /**
   * The tool substitutes placeholders in this section before the server sees it: `braces`, `${name}`
   * (Flyway by default, goose under `-- +goose ENVSUB ON`); `psql`, psql's variables (`:name`,
   * `:'name'`, `:"name"`) in a script psql runs. The parser reads them as identifiers and literals of
   * the same length (sql/placeholders.ts).
   */
  placeholders?: PlaceholderSyntax;
  /**
   * goose: the lines of this section goose substitutes in (from `-- +goose ENVSUB ON` to `OFF`, as
   * goose reads the file line by line: formats/goose-envsub.ts); absent, the whole section (Flyway).
   */
  substitutedLines?: Span[];
  /** A group label, for formats with several up/down pairs in one file (Liquibase changesets). */
  label?: string;
  /** The file says on purpose that this down does nothing (Liquibase `--rollback not required`). */
  declaredEmpty?: boolean;
}

/** A problem of the file's format itself (a missing marker, a bad file name). */
export interface FormatProblem {
  rule: string;
  message: string;
  help?: string;
  span: Span;
  /** An edit of the file that removes the problem, when the format knows one. */
  fixes?: Fix[];
  /** The tool itself fails running the section this is in (it cuts a statement in two): the runner runs nothing of it. */
  failsRun?: boolean;
  /** With failsRun: the tool fails the whole file, whichever direction runs (goose cannot read a line under ENVSUB). */
  failsFile?: boolean;
  /** A severity for this finding when .zdm.json does not set the rule's level (a sqitch variable with no value may come from `--set`: a warning). */
  severity?: Severity;
}

export interface MigrationDocument {
  path: string;
  text: string;
  format: FormatId;
  /** How the format was decided: 'config', 'marker', 'filename', 'layout' or 'default'. */
  formatSource: 'config' | 'marker' | 'filename' | 'layout' | 'default';
  role: FileRole;
  version?: string;
  description?: string;
  sections: Section[];
  /** Whether this format has the concept of a down migration at all. */
  supportsDown: boolean;
  /** For split formats (.up.sql / .down.sql, up.sql / down.sql, V/U, deploy/revert): the other half. */
  companionPath?: string;
  /** True when the companion exists (read through the host). */
  companionExists?: boolean;
  problems: FormatProblem[];
  /** A non-PostgreSQL dialect named by the file (pop's `.mysql.up.sql`): such files are not linted. */
  dialect?: string;
  /**
   * For a generic pop file (no dialect infix): the other databases its folder has files for
   * (`.mysql.up.sql`, `.sqlite3.up.sql`...), which run this file too. Its fixes are then offered for
   * review only, as PostgreSQL's safe form (CONCURRENTLY, SET lock_timeout) fails on those databases.
   */
  sharedWith?: string[];
  /** The file the tool runs instead of this one (pop's `.postgres.up.sql` beside a generic `.up.sql`): not linted. */
  overriddenBy?: string;
  /**
   * What .zdm.json said about how the tool runs files when this one was described (assumeInTransaction,
   * golang-migrate's multi-statement mode): its other half and the folder's earlier migrations are
   * described the same way (formats/index.ts describeLike).
   */
  formatOptions?: { assumeInTransaction?: boolean; golangMigrateMultiStatement?: boolean };
}

/** A parse error of one statement, with its position already in file offsets. */
export interface SyntaxError {
  message: string;
  offset: number;
}

/** A node of libpg-query's JSON tree: `{ KindName: { ...fields } }`. Read-only: trees are cached and shared. */
export type AstNode = { readonly [kind: string]: any };

export interface Statement {
  /** Index in the document's statement list. */
  index: number;
  section: Section;
  /** From the first token to the terminating semicolon (inclusive) or the last token. */
  span: Span;
  text: string;
  terminated: boolean;
  /** The statement's node (`{ IndexStmt: {...} }`), when it parsed. */
  node?: AstNode;
  /** The node kind, e.g. 'IndexStmt', or 'Unparsed' on a syntax error. */
  kind: string;
  error?: SyntaxError;
  /** Comments between the previous statement and this one (ignore comments live there). */
  leadingComments: Span[];
  /** The statement's tokens as the splitter lexed them (comments inside it included), when known. */
  tokens?: Token[];
  /** Converts a parser byte location within this statement into a file offset. */
  offsetOf(location: number | undefined): number;
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];
export const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

export interface TextEdit {
  /** File the edit applies to; the linted file when omitted. */
  path?: string;
  span: Span;
  newText: string;
}

export interface FileCreate {
  path: string;
  text: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** New files the fix creates (a follow-up migration, a .down.sql companion). */
  creates?: FileCreate[];
  /** Safe fixes may be applied without review (on save, `zdm lint --fix`). */
  safe: boolean;
}

export interface Finding {
  rule: string;
  severity: Severity;
  message: string;
  /** What to do instead. */
  help?: string;
  span: Span;
  statementIndex?: number;
  fixes?: Fix[];
}

export interface LintResult {
  document: MigrationDocument;
  statements: Statement[];
  findings: Finding[];
  /** Rules that threw; reported, never fatal. */
  ruleFailures: { rule: string; message: string }[];
  /** True when the file was skipped (not a migration, before the baseline, or too large). */
  skipped?: string;
}
