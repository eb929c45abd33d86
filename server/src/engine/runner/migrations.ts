// Loading the migrations of a folder for the runner, through the format layer: each file's sections,
// transaction mode and version come from formats/index.ts (never decided here), and statements come
// from the engine's own splitter (sql/split.ts, exactly as lint.ts buildStatements cuts them), so the
// runner sends exactly the statements the linter checked. A statement is parsed only when the runner
// needs its tree (safety checks, hints): loading 500 migrations must not cost 1,000 parses.
// Split formats (golang-migrate, Flyway V/U, diesel folders) are paired by version.

import * as path from 'node:path';
import type { ZdmConfig } from '../config/config';
import { describeMigration, describeOptionsOf } from '../formats/index';
import type { ProjectHost } from '../host';
import type { AstNode, FormatId, MigrationDocument, Section, Span, TransactionMode } from '../model';
import { nodeKind, parseStatement } from '../sql/parser';
import { splitStatements } from '../sql/split';
import { readFlywayConf } from '../text/java-properties';
import { LineIndex } from '../text/offsets';
import { compareVersions } from '../versions';
import { checksumOf, statementHash } from './record';
import { RUNNABLE_FORMATS } from './runnable';
import { placeholderValues, readFlywaySettings, type FlywaySettings, type GooseEnvsub } from './placeholders';
import { compareRepeatables } from './plan';
import { loadSqitchMigrations, sqitchTop } from './sqitch';
import { holdsLiquibaseChangelogs, loadLiquibaseMigrations, type LiquibaseRun } from './liquibase-load';

export interface RunStatement {
  /** 0-based index within its section. */
  readonly index: number;
  readonly text: string;
  /** File offsets (UTF-16). */
  readonly span: Span;
  /** 1-based line of its first token. */
  readonly line: number;
  /** Its first keyword, lower case ("create", "begin", "set"). */
  readonly firstWord: string;
  /** The parse tree's kind ('IndexStmt'; 'Unparsed' on a syntax error); parsed on first use. */
  readonly kind: string;
  /** The parse tree; parsed on first use. */
  readonly node?: AstNode;
  /** When `text` is not the file's (placeholders substituted): an offset in `text`, as an offset in the statement as written. */
  readonly toOriginal?: (offset: number) => number;
}

export interface RunSection {
  kind: 'up' | 'down';
  path: string;
  /** The whole file's text (for offset -> line/column). */
  fileText: string;
  transaction: TransactionMode;
  transactionSource: string;
  /** The migration's format (for hints that say how to change the transaction mode). */
  format: FormatId;
  statements: RunStatement[];
  /** Where the section starts in the file (its marker, or the file start). */
  anchor: Span;
  /**
   * In a section sent statement by statement, spans the tool sends whole, as one query string, which
   * PostgreSQL runs as one implicit transaction when it holds several statements (goose
   * StatementBegin/StatementEnd blocks under NO TRANSACTION, and statements goose reads as one because
   * they share a line).
   */
  queryStrings?: readonly Span[];
  /** goose's StatementBegin/StatementEnd blocks, to tell such a query string from statements that share a line (its hints differ). */
  statementBlocks?: readonly Span[];
  /** The values of the `${name}` placeholders the tool substitutes in this section (Flyway; goose ENVSUB), substituted when it runs (runner/placeholders.ts). */
  placeholders?: ReadonlyMap<string, string>;
  /** goose: the lines it substitutes in, this section's and the rest of the file's (formats/goose-envsub.ts). */
  envsub?: GooseEnvsub;
  /** Why the tool itself would fail running this section, and where (a format problem that `failsRun`, such as goose cutting a statement in two): nothing of it is run. */
  toolFailure?: { message: string; help?: string; offset: number };
  /** Not in the file: the empty down goose rolls back with when the file has no Down section (downSectionOf). */
  absent?: true;
}

export interface Migration {
  /** The version as written in the file name (ordering, --to). */
  version: string;
  /** What the tool's table stores for it (dbmate: the version; diesel: digits only; Prisma: the folder name). */
  key: string;
  /** The up file (or folder), relative to the project root, for messages. */
  name: string;
  description?: string;
  format: FormatId;
  upPath: string;
  up: RunSection;
  /** The down section; undefined when the migration has none (then it cannot be rolled back). */
  down?: RunSection;
  downPath?: string;
  /**
   * A Flyway repeatable script (`R__description.sql`): no version (`version` is empty, `key` is the file
   * name); applied after the versioned ones, in description order, and again whenever its checksum
   * changes; never rolled back. `checksum` is Flyway's for the script with its placeholders replaced
   * (what Flyway records for a repeatable), `rawChecksum` for the script as written (which Flyway
   * accepts as the same), both set when the database is read (placeholders need the session's
   * `flyway:user` and `flyway:database`).
   */
  repeatable?: { checksum?: number; rawChecksum?: number };
  /**
   * Flyway's `shouldExecute` from the script's configuration file (`V1__x.sql.conf`), as written;
   * `value` is set when the database is read (its placeholders may need the session's values), and a
   * pending migration whose value is false is not run (plan.ts computeStatus).
   */
  shouldExecute?: { expression: string; value?: boolean };
  /** A Liquibase changeset (runner/liquibase-load.ts): how Liquibase identifies, checksums and records it. */
  changeset?: LiquibaseRun;
  /** Checksum of the up statements (record.ts); computed on first use. */
  readonly checksum: string;
  readonly statementHashes: string[];
}

export interface LoadProblem {
  path: string;
  message: string;
  /** Errors stop the run (exit 2); warnings are shown. */
  severity: 'error' | 'warning';
}

export interface LoadedMigrations {
  dirs: string[];
  format?: FormatId;
  migrations: Migration[];
  problems: LoadProblem[];
  /** A Flyway project's settings, read once here for the whole command (placeholders.ts FlywaySettings). */
  flyway?: FlywaySettings;
  /** Liquibase changesets this project's runs leave out (ignore, dbms, contexts, labels), to say so when one is named. */
  leftOut?: LeftOutChangeset[];
}

/** A Liquibase changeset the run leaves out, and why. */
export interface LeftOutChangeset {
  /** `filename::id::author`, FILENAME as Liquibase records it. */
  key: string;
  /** `path::id::author`, the path relative to the project root. */
  name: string;
  id: string;
  author: string;
  filename: string;
  /** The changelog file. */
  path: string;
  why: string;
}

export { RUNNABLE_FORMATS } from './runnable';

export interface LoadOptions {
  dirs: string[];
  config: ZdmConfig;
  host: ProjectHost;
  /** Paths in names are relative to it. */
  root: string;
  /** The environment placeholders are read from (Flyway's FLYWAY_PLACEHOLDERS_*, goose ENVSUB); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The folder the command runs from (Flyway's `flyway:workingDirectory`). */
  cwd?: string;
}

/** Reads every migration in the folders. The parser must be loaded (initParser). */
export function loadMigrations(options: LoadOptions): LoadedMigrations {
  const { host, config } = options;
  // A sqitch project's migrations are the changes of its plan, not the files of a folder.
  const top = config.format === undefined || config.format === 'sqitch' ? options.dirs.length === 1 && sqitchTop(options.dirs[0], host) : undefined;
  if (top) return loadSqitchMigrations(options, top);
  const problems: LoadProblem[] = [];
  const documents: MigrationDocument[] = [];
  for (const dir of options.dirs) {
    const names = host.readDirectory(dir);
    if (names === undefined) {
      problems.push({ path: dir, message: `The migrations folder ${relative(options.root, dir)} does not exist.`, severity: 'error' });
      continue;
    }
    for (const name of [...names].sort()) {
      const full = path.join(dir, name);
      for (const file of candidateFiles(full, name, host)) {
        const text = host.readFile(file);
        if (text === undefined) continue;
        documents.push(describeMigration(file, text.replace(/^\uFEFF/, ''), host, describeOptionsOf(config)));
      }
    }
  }

  const formats = new Set(documents.filter((d) => !d.dialect && d.role !== 'repeatable' && d.role !== 'verify').map((d) => d.format));
  if (formats.size > 1) {
    problems.push({ path: options.dirs[0] ?? options.root, message: `The migrations folder mixes formats (${[...formats].join(', ')}); set "format" in .zdm.json.`, severity: 'error' });
    return { dirs: options.dirs, migrations: [], problems };
  }
  const format = [...formats][0];
  if (format !== undefined && !RUNNABLE_FORMATS.includes(format)) {
    problems.push({ path: options.dirs[0] ?? options.root, message: `zdm does not run ${format} migrations (it lints them); use ${format}'s own tool to apply them.`, severity: 'error' });
    return { dirs: options.dirs, format, migrations: [], problems };
  }

  // Liquibase: each changeset is a migration, in the order Liquibase runs them (liquibase-load.ts).
  // A folder whose changelogs are all in subfolders (a master changelog's includeAll) has none at the top.
  if (format === 'liquibase' || (format === undefined && (config.format === 'liquibase' || holdsLiquibaseChangelogs(options)))) {
    return { dirs: options.dirs, format: 'liquibase', ...loadLiquibaseMigrations(options, problems, runSectionOf) };
  }

  const byKey = new Map<string, { up?: MigrationDocument; down?: MigrationDocument }>();
  const repeatables: MigrationDocument[] = [];
  for (const doc of documents) {
    if (doc.dialect) continue;
    if (doc.role === 'repeatable' && doc.format === 'flyway') {
      repeatables.push(doc);
      continue;
    }
    if (doc.role === 'repeatable' || doc.role === 'verify' || doc.role === 'unknown') continue;
    if (doc.version === undefined) {
      problems.push({ path: doc.path, message: `${relative(options.root, doc.path)} has no version in its name (expected ${expectedName(doc.format)}); skipped.`, severity: 'warning' });
      continue;
    }
    const key = trackingKey(doc);
    const entry = byKey.get(key) ?? {};
    const slot = doc.role === 'down' ? 'down' : 'up';
    if (entry[slot]) {
      problems.push({ path: doc.path, message: `${relative(options.root, doc.path)} has the same version as ${relative(options.root, entry[slot]!.path)}; versions must be unique.`, severity: 'error' });
      continue;
    }
    entry[slot] = doc;
    byKey.set(key, entry);
  }

  const migrations: Migration[] = [];
  const env = options.env ?? process.env;
  const flyway = (format ?? config.format) === 'flyway' ? readFlywaySettings(options.root, host, env) : undefined;
  if (flyway) problems.push(...flyway.problems);
  const placeholderMaps: Partial<Record<FormatId, Map<string, string>>> = {};
  const values = (doc: MigrationDocument) =>
    doc.sections.some((s) => s.placeholders === 'braces') ? (placeholderMaps[doc.format] ??= placeholderValues(doc.format, env, flyway, { migrationsTable: config.database.migrationsTable, cwd: options.cwd })) : undefined;
  // Flyway with placeholderReplacement=false sends `${name}` as written.
  const replaces = !flyway || flyway.placeholderReplacement;
  for (const [key, pair] of byKey) {
    if (!pair.up) {
      problems.push({ path: pair.down!.path, message: `${relative(options.root, pair.down!.path)} is a down migration without its up; skipped.`, severity: 'warning' });
      continue;
    }
    const up = runSection(pair.up, 'up', values(pair.up), replaces);
    if (!up) {
      problems.push({ path: pair.up.path, message: `${relative(options.root, pair.up.path)} has no up section; skipped.`, severity: 'warning' });
      continue;
    }
    const downDoc = pair.down ?? (pair.up.sections.some((s) => s.kind === 'down') ? pair.up : undefined);
    const down = downDoc ? runSection(downDoc, 'down', values(downDoc), replaces) : undefined;
    let hashes: { checksum: string; statements: string[] } | undefined;
    const hashesOf = () => (hashes ??= { checksum: checksumOf(up.statements.map((s) => s.text)), statements: up.statements.map((s) => statementHash(s.text)) });
    migrations.push({
      version: pair.up.version!,
      ...shouldExecuteOf(pair.up, host),
      key,
      name: relative(options.root, pair.up.format === 'diesel' || pair.up.format === 'prisma' ? path.dirname(pair.up.path) : pair.up.path),
      description: pair.up.description,
      format: pair.up.format,
      upPath: pair.up.path,
      up,
      down,
      downPath: down?.path,
      get checksum() {
        return hashesOf().checksum;
      },
      get statementHashes() {
        return hashesOf().statements;
      },
    });
  }
  migrations.sort((a, b) => compareVersions(a.version, b.version) || a.key.localeCompare(b.key));
  // Flyway's repeatable scripts come after every versioned one, in the order of their descriptions.
  const repeatableMigrations: Migration[] = [];
  for (const doc of repeatables) {
    const up = runSection(doc, 'up', values(doc), replaces);
    if (!up) continue;
    let hashes: { checksum: string; statements: string[] } | undefined;
    const hashesOf = () => (hashes ??= { checksum: checksumOf(up.statements.map((s) => s.text)), statements: up.statements.map((s) => statementHash(s.text)) });
    repeatableMigrations.push({
      version: '',
      ...shouldExecuteOf(doc, host),
      key: path.basename(doc.path),
      name: relative(options.root, doc.path),
      description: doc.description,
      format: doc.format,
      upPath: doc.path,
      up,
      repeatable: {},
      get checksum() {
        return hashesOf().checksum;
      },
      get statementHashes() {
        return hashesOf().statements;
      },
    });
  }
  repeatableMigrations.sort((a, b) => compareRepeatables(a, b));
  migrations.push(...repeatableMigrations);
  return { dirs: options.dirs, format, migrations, problems, flyway };
}

/** A Flyway script's `shouldExecute`, from its configuration file (`V1__x.sql.conf`), as written there. */
function shouldExecuteOf(doc: MigrationDocument, host: ProjectHost): Pick<Migration, 'shouldExecute'> {
  if (doc.format !== 'flyway') return {};
  const conf = host.readFile(doc.path + '.conf');
  const expression = conf === undefined ? undefined : readFlywayConf(conf).get('shouldExecute');
  return expression === undefined ? {} : { shouldExecute: { expression } };
}

/**
 * The section a rollback runs: the migration's down, or for a goose file without `-- +goose Down`, an
 * empty one. goose's docs make the Down annotation optional, and its down runs the down statements
 * (none here) and then deletes the version's row all the same (provider_run.go: runSQL, then
 * maybeInsertOrDelete; the legacy API logs it as EMPTY): the migration counts as not applied again,
 * while what its up did stays. Other formats without a down cannot be rolled back (undefined).
 */
export function downSectionOf(migration: Migration): RunSection | undefined {
  if (migration.down || migration.format !== 'goose') return migration.down;
  const end = migration.up.fileText.length;
  return {
    ...migration.up,
    kind: 'down',
    statements: [],
    queryStrings: undefined,
    placeholders: undefined,
    envsub: undefined,
    toolFailure: undefined,
    transactionSource: "the file has no '-- +goose Down' section: goose runs nothing and deletes the version's row",
    anchor: { start: end, end },
    absent: true,
  };
}

/**
 * The short hash of each statement of the section a rollback runs (as written, as `statementHashes` are
 * the up's): zdm_migrations keeps them while a rollback sent statement by statement runs, so that a
 * resumed rollback can tell whether the statements it skips are the ones that ran.
 */
export function downStatementHashes(migration: Migration): string[] {
  return (downSectionOf(migration)?.statements ?? []).map((s) => statementHash(s.text));
}

/** The key the tool's tracking table stores for a migration. */
export function trackingKey(doc: MigrationDocument): string {
  const version = doc.version ?? '';
  switch (doc.format) {
    case 'diesel':
      // diesel stores the folder name up to the first '_', without dashes.
      return path.basename(path.dirname(doc.path)).split('_')[0].replace(/-/g, '');
    case 'goose':
    case 'golang-migrate':
      return /^\d+$/.test(version) ? BigInt(version).toString() : version;
    case 'prisma':
      return path.basename(path.dirname(doc.path));
    default:
      return version;
  }
}

export function runSection(doc: MigrationDocument, kind: 'up' | 'down', placeholders: ReadonlyMap<string, string> | undefined, replaces: boolean): RunSection | undefined {
  // dbmate and goose run the first block of each direction; later ones are reported by the linter.
  const section = doc.sections.find((s) => s.kind === kind);
  if (!section) return undefined;
  return runSectionOf(doc, section, placeholders, replaces);
}

/** The runner's view of one section of `doc`: its statements cut by the engine's splitter. */
export function runSectionOf(doc: MigrationDocument, section: Section, placeholders: ReadonlyMap<string, string> | undefined, replaces: boolean): RunSection {
  const kind = section.kind;
  let lines: LineIndex | undefined;
  const lineOf = (offset: number) => (lines ??= new LineIndex(doc.text)).positionAt(offset).line + 1;
  const statements = splitStatements(section.source, section.span.start, section.span.end).statements.map((raw, index) => {
    const first = raw.tokens[0];
    return lazyStatement(index, section.source.slice(raw.span.start, raw.span.end), raw.span, lineOf, first ? section.source.slice(first.start, first.end).toLowerCase() : '');
  });
  return {
    kind,
    path: doc.path,
    fileText: doc.text,
    transaction: section.transaction,
    transactionSource: section.transactionSource,
    format: doc.format,
    statements,
    anchor: anchorOf(section),
    queryStrings: section.transaction === 'none' ? section.queryStrings : undefined,
    statementBlocks: section.transaction === 'none' ? section.statementBlocks : undefined,
    placeholders: section.placeholders === 'braces' && replaces ? (placeholders ?? new Map()) : undefined,
    envsub: section.substitutedLines ? { lines: section.substitutedLines, elsewhere: doc.sections.filter((s) => s !== section).flatMap((s) => s.substitutedLines ?? []) } : undefined,
    toolFailure: toolFailureIn(doc, section.span),
  };
}

/** The first problem of `doc` in `span` that makes its tool fail running it. */
function toolFailureIn(doc: MigrationDocument, span: Span): RunSection['toolFailure'] {
  const p = doc.problems.find((q) => q.failsRun && (q.failsFile || (span.start <= q.span.start && q.span.start < span.end)));
  return p ? { message: p.message, ...(p.help ? { help: p.help } : {}), offset: p.span.start } : undefined;
}

/** The section with its statements' texts replaced (placeholders substituted): the same spans and lines. */
export function withStatementTexts(section: RunSection, texts: readonly { text: string; toOriginal: (offset: number) => number }[]): RunSection {
  let lines: LineIndex | undefined;
  const lineOf = (offset: number) => (lines ??= new LineIndex(section.fileText)).positionAt(offset).line + 1;
  return {
    ...section,
    statements: section.statements.map((s, i) => (texts[i].text === s.text ? s : { ...lazyStatement(s.index, texts[i].text, s.span, lineOf, s.firstWord), toOriginal: texts[i].toOriginal })),
  };
}

function lazyStatement(index: number, text: string, span: Span, lineOf: (offset: number) => number, firstWord: string): RunStatement {
  let nodes: AstNode[] | undefined;
  const parse = () => (nodes ??= parseStatement(text).nodes);
  return {
    index,
    text,
    span,
    get line() {
      return lineOf(span.start);
    },
    firstWord,
    get node() {
      return parse()[0];
    },
    get kind() {
      return nodeKind(parse()[0]);
    },
  };
}

function anchorOf(section: Section): Span {
  return section.marker ?? { start: section.span.start, end: section.span.start };
}

/** Files of one folder entry that may be migrations: `*.sql`, and `up.sql`/`down.sql`/`migration.sql` in a subfolder. */
function candidateFiles(full: string, name: string, host: ProjectHost): string[] {
  if (/\.sql$/i.test(name)) return [full];
  if (name.startsWith('.')) return [];
  const inner = host.readDirectory(full);
  if (!inner) return [];
  return ['up.sql', 'down.sql', 'migration.sql'].filter((n) => inner.includes(n)).map((n) => path.join(full, n));
}

function expectedName(format: FormatId): string {
  switch (format) {
    case 'flyway':
      return 'V1__description.sql';
    case 'golang-migrate':
      return '000001_description.up.sql';
    case 'diesel':
      return 'a folder named 2024-01-01-000000_description';
    default:
      return '20240101000000_description.sql';
  }
}

function relative(root: string, p: string): string {
  return path.relative(root, p) || p;
}
