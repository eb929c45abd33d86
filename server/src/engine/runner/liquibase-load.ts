// Liquibase formatted-SQL changelogs as migrations for the runner: each changeset is one migration,
// identified as Liquibase identifies it (id, author and file path), its `--rollback` its down.
//
// Order: the changelog liquibase.properties names, followed as Liquibase follows it (liquibase-master.ts);
// else the formatted-SQL files of the migrations folder and its subfolders in the order of their paths
// (as a master changelog's `includeAll` of that folder runs them: Liquibase sorts the files it finds by
// their full path); each file's changesets in file order. FILENAME is the changelog's path as Liquibase
// records it: relative to its search path, else to the project root (the folder of .zdm.json), which
// is what Liquibase records when it runs from that folder; or the `logicalFilePath` the file names.
//
// Preconditions are checked as Liquibase checks them by default (liquibase-preconditions.ts). What
// Liquibase would do and zdm does not is refused where the changeset runs, with its line: other
// precondition options, `runWith` (another executor), changelog parameters (`${name}`). A changeset whose
// `dbms` excludes PostgreSQL, or marked `ignore:true` (or named by an include that says `ignore="true"`),
// is left out, as Liquibase leaves it out.
// Contexts and labels: the contexts and label filter liquibase.properties gives select changesets as
// they select them for Liquibase (liquibase-contexts.ts); without them every changeset runs, as
// Liquibase runs them all when given no `--contexts` or `--label-filter`. The context and labels of the
// includes above a changeset must hold too (liquibase-master.ts). They are recorded as Liquibase records
// them, the includes' first.

import * as path from 'node:path';
import { describeMigration } from '../formats/index';
import type { MigrationDocument, Section } from '../model';
import { readLiquibaseChangelog, runsOnPostgres, type LiquibaseChangeset } from './liquibase-changelog';
import { changelogFiles, filesUnder, liquibaseSettings, recordedPath, type IncludedFile } from './liquibase-master';
import { whyNotUnder, type Inherited } from './liquibase-contexts';
import { preconditionChecks, withChecks } from './liquibase-preconditions';
import type { LeftOutChangeset, LoadOptions, LoadProblem, Migration, RunSection } from './migrations';
import { checksumOf, statementHash } from './record';

/** What the runner keeps of a Liquibase changeset for its tracker (tracking/liquibase.ts). */
export interface LiquibaseRun extends LiquibaseChangeset {
  /** The FILENAME column: the changelog's path as Liquibase records it. */
  filename: string;
  /** The contexts and labels of the includes above its changelog, innermost first (Liquibase records them with its own). */
  inherited?: Inherited;
}

type SectionBuilder = (doc: MigrationDocument, section: Section, placeholders: ReadonlyMap<string, string> | undefined, replaces: boolean) => RunSection;

/** The changesets of every formatted-SQL changelog under the folders, in the order Liquibase runs them. */
export function loadLiquibaseMigrations(options: LoadOptions, problems: LoadProblem[], build: SectionBuilder): { migrations: Migration[]; problems: LoadProblem[]; leftOut: LeftOutChangeset[] } {
  const { host, root } = options;
  const migrations: Migration[] = [];
  const leftOut: LeftOutChangeset[] = [];
  const seen = new Map<string, string>();
  const settings = liquibaseSettings(root, host, options.env ?? process.env);
  let files: IncludedFile[];
  if (settings.changelogFile) {
    // The project names its changelog (liquibase.properties): its includes decide what runs, and in which
    // order, and what its changesets inherit from them (contexts, labels, ignore).
    const named = changelogFiles(settings.changelogFile, settings, host);
    for (const p of named.problems) problems.push({ path: settings.changelogFile, message: p, severity: 'error' });
    // A file named twice (two includes, an include and an includeAll) is read twice, as Liquibase reads
    // it: its changesets meet themselves in the duplicate check below.
    files = named.files;
  } else files = options.dirs.flatMap((dir) => sqlFilesUnder(dir, host).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).map((file) => ({ file, inherited: { contexts: [], labels: [] } }));
  for (const { file, inherited, ignoredBy, via } of files) {
    const text = host.readFile(file)?.replace(/^\uFEFF/, '');
    if (text === undefined) continue;
    const name = relative(root, file);
    const doc = describeMigration(file, text, host, { format: 'liquibase', assumeInTransaction: options.config.assumeInTransaction });
    if (!isFormattedSql(text)) {
      problems.push({ path: file, message: `${name} is not a Liquibase formatted SQL file (its first line is not \`--liquibase formatted sql\`): Liquibase's includeAll would run it whole as one raw SQL changeset; zdm does not. Move it out of the changelog folder, or make it a formatted SQL changelog.`, severity: 'error' });
      continue;
    }
    const changelog = readLiquibaseChangelog(text);
    for (const e of changelog.errors) problems.push({ path: file, message: `${name}:${e.line}: ${e.message}. Liquibase refuses the whole changelog.`, severity: 'error' });
    const ups = doc.sections.filter((s) => s.kind === 'up');
    for (const changeset of changelog.changesets) {
      const filename = (changeset.logicalFilePath ?? recordedPath(file, settings, root)).replace(/\\/g, '/').replace(/^\//, '');
      const key = `${filename}::${changeset.id}::${changeset.author}`;
      const filtered = changeset.ignore
        ? 'it is marked `ignore:true`'
        : !runsOnPostgres(changeset.dbms)
          ? `its dbms (\`${changeset.dbms}\`) leaves PostgreSQL out`
          : whyNotUnder(changeset, settings.contexts, settings.labelFilter, inherited);
      const where = `${name}:${changeset.line}`;
      const at = via ? `${where}, included by ${via}` : where;
      // Liquibase's duplicate check (its validation) sees the changesets its filters keep: its own
      // ignore:true, dbms, contexts and labels leave one out of it; an include's ignore="true" does not.
      if (filtered === undefined && seen.has(key)) {
        problems.push({ path: file, message: `${at}: changeset ${changeset.id} by ${changeset.author} is already defined at ${seen.get(key)}; Liquibase refuses duplicate changeset identifiers, and stops ("Validation Failed: … changesets had duplicate identifiers", listing ${key}).`, severity: 'error' });
        continue;
      }
      if (filtered === undefined) seen.set(key, at);
      const skipped = filtered ?? (ignoredBy ? `${ignoredBy} says ignore="true"` : undefined);
      if (skipped !== undefined) {
        leftOut.push({ key, name: `${name}::${changeset.id}::${changeset.author}`, id: changeset.id, author: changeset.author, filename, path: file, why: skipped });
        continue;
      }
      const up = ups.find((s) => s.marker?.start === changeset.offset);
      if (!up) {
        problems.push({ path: file, message: `${where}: zdm cannot read changeset ${changeset.author}:${changeset.id} (its --changeset line must start the line, as \`--changeset author:id\`).`, severity: 'error' });
        continue;
      }
      if (changeset.sql === '') {
        problems.push({ path: file, message: `${where}: changeset ${changeset.author}:${changeset.id} has no SQL; Liquibase refuses it ("No SQL for changeset").`, severity: 'error' });
        continue;
      }
      const index = doc.sections.indexOf(up);
      const downSection = changeset.hasRollback && doc.sections[index + 1]?.kind === 'down' ? doc.sections[index + 1] : undefined;
      // Preconditions become checks run first in the changeset (liquibase-preconditions.ts), or refuse it.
      const built = build(doc, up, undefined, false);
      const pre = preconditionChecks(changeset, built);
      const upRun = 'refusal' in pre ? withRefusal(built, pre.refusal) : withRefusal(withChecks(built, pre.checks), refusal(changeset, up, text, changelog.properties.length > 0));
      const downRun = downSection ? withRefusal(build(doc, downSection, undefined, false), parameterRefusal(downSection, text, changeset)) : undefined;
      let hashes: { checksum: string; statements: string[] } | undefined;
      const hashesOf = () => (hashes ??= { checksum: checksumOf(upRun.statements.map((s) => s.text)), statements: upRun.statements.map((s) => statementHash(s.text)) });
      migrations.push({
        version: String(migrations.length + 1),
        key,
        name: `${name}::${changeset.id}::${changeset.author}`,
        description: changeset.comments,
        format: 'liquibase',
        upPath: file,
        up: upRun,
        down: downRun,
        downPath: downRun ? file : undefined,
        changeset: { ...changeset, filename, inherited },
        get checksum() {
          return hashesOf().checksum;
        },
        get statementHashes() {
          return hashesOf().statements;
        },
      });
    }
  }
  // A file named twice whose one copy the filters leave out and the other runs: it runs (Liquibase counts nothing filtered).
  const run = new Set(migrations.map((m) => m.key));
  return { migrations, problems, leftOut: leftOut.filter((c) => !run.has(c.key)) };
}

/** True when a `.sql` file under the folders (subfolders included) is a Liquibase formatted-SQL changelog. */
export function holdsLiquibaseChangelogs(options: Pick<LoadOptions, 'dirs' | 'host'>): boolean {
  return options.dirs.some((dir) => sqlFilesUnder(dir, options.host).some((file) => isFormattedSql(options.host.readFile(file) ?? '')));
}

/** Liquibase's test: the first line that is not blank says `--liquibase formatted`. */
function isFormattedSql(text: string): boolean {
  return /^\s*--\s*liquibase\s*formatted/i.test(text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).find((l) => l.trim() !== '') ?? '');
}

/** Why zdm does not run a changeset Liquibase would run differently (another executor, parameters), at the line that says so. */
function refusal(changeset: LiquibaseChangeset, up: Section, text: string, hasProperties: boolean): RunSection['toolFailure'] {
  if (changeset.runWith !== undefined && changeset.runWith.toLowerCase() !== 'jdbc') {
    const at = text.indexOf('runWith:', changeset.offset);
    return { message: `Changeset ${changeset.author}:${changeset.id} says runWith:${changeset.runWith}: Liquibase runs it with another executor (psql, sqlplus, sqlcmd), and zdm runs changesets over its own connection only. Run it with Liquibase.`, offset: at === -1 ? changeset.offset : at };
  }
  return parameterRefusal(up, text, changeset, hasProperties);
}

/** A `${name}` in the changeset (or its rollback): Liquibase substitutes its changelog parameters; zdm does not. */
function parameterRefusal(section: Section, text: string, changeset: LiquibaseChangeset, hasProperties = false): RunSection['toolFailure'] {
  const at = text.slice(section.span.start, section.span.end).search(/\$\{[^}\s]+\}/);
  if (at === -1) return undefined;
  const defined = hasProperties ? ' (the changelog defines some with --property)' : '';
  return {
    message: `Changeset ${changeset.author}:${changeset.id} uses a changelog parameter${defined}: Liquibase replaces \`\${name}\` with the parameter's value before it runs the SQL, and zdm does not know those values. Run it with Liquibase, or write the value in the SQL.`,
    offset: section.span.start + at,
  };
}

function withRefusal(section: RunSection, failure: RunSection['toolFailure']): RunSection {
  return failure ? { ...section, toolFailure: failure } : section;
}

/** The `.sql` files in `dir` and its subfolders (hidden folders skipped), as includeAll finds them. */
function sqlFilesUnder(dir: string, host: LoadOptions['host']): string[] {
  return filesUnder(dir, host).filter((f) => /\.sql$/i.test(f));
}

function relative(root: string, p: string): string {
  return (path.relative(root, p) || p).split(path.sep).join('/');
}
