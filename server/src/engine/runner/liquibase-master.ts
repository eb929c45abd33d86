// Which changelog files Liquibase runs, in which order, and the path it records for each: read from the
// project's Liquibase settings when it has them. `liquibase.properties` at the project root (or the
// environment: LIQUIBASE_COMMAND_CHANGELOG_FILE, LIQUIBASE_SEARCH_PATH) may name the changelog
// (`changelog-file`, `changeLogFile`) and the search path (`search-path`, `searchPath`). A master
// changelog in XML or YAML is followed: its `include` (a file) and `includeAll` (a folder: its files and
// subfolders in the order of their paths, as Liquibase sorts them) entries in order, nested masters too,
// with the contexts, labels and ignore those entries give the changesets below them.
// Liquibase records a changelog by its path relative to the search-path folder it found it in (the
// working folder when no search path is set): `src/main/resources` makes `db/changelog/001.sql` of
// `src/main/resources/db/changelog/001.sql`, as a Spring Boot application records it.

import * as path from 'node:path';
import type { ProjectHost } from '../host';
import { javaTrim, readJavaProperties } from '../text/java-properties';
import type { Inherited } from './liquibase-contexts';

export interface LiquibaseSettings {
  /** Absolute folders, in order; the project root when none is set. */
  searchPaths: string[];
  /** The changelog Liquibase is told to run (absolute), when the settings name one. */
  changelogFile?: string;
  /** Where the settings came from, for messages. */
  source?: string;
  /** The run's contexts and label filter (`contexts`, `label-filter`; LIQUIBASE_COMMAND_CONTEXTS, LIQUIBASE_COMMAND_LABEL_FILTER). */
  contexts?: string;
  labelFilter?: string;
}

/** The project's Liquibase settings: liquibase.properties at the root, the environment winning. */
export function liquibaseSettings(root: string, host: ProjectHost, env: NodeJS.ProcessEnv): LiquibaseSettings {
  const properties = readProperties(host.readFile(path.join(root, 'liquibase.properties')) ?? '');
  const searchPath = env.LIQUIBASE_SEARCH_PATH ?? properties.get('searchpath');
  const searchPaths = (searchPath ?? '').split(',').map((p) => p.trim()).filter(Boolean).map((p) => path.resolve(root, p));
  if (searchPaths.length === 0) searchPaths.push(root);
  const changelog = env.LIQUIBASE_COMMAND_CHANGELOG_FILE ?? properties.get('changelogfile');
  const settings: LiquibaseSettings = { searchPaths, source: env.LIQUIBASE_COMMAND_CHANGELOG_FILE ? 'LIQUIBASE_COMMAND_CHANGELOG_FILE' : 'liquibase.properties' };
  if (changelog) settings.changelogFile = find(changelog, searchPaths, host) ?? path.resolve(root, changelog);
  const unquote = (v: string | undefined) => v?.replace(/^"(.*)"$/, '$1');
  settings.contexts = unquote(env.LIQUIBASE_COMMAND_CONTEXTS ?? properties.get('contexts'));
  settings.labelFilter = unquote(env.LIQUIBASE_COMMAND_LABEL_FILTER ?? properties.get('labelfilter') ?? properties.get('labels'));
  return settings;
}

/** The path Liquibase records for `file`: relative to the first search-path folder holding it, with `/`. */
export function recordedPath(file: string, settings: LiquibaseSettings, root: string): string {
  const base = settings.searchPaths.find((dir) => (file + path.sep).startsWith(dir + path.sep) && file !== dir) ?? root;
  return (path.relative(base, file) || file).split(path.sep).join('/');
}

/** A formatted-SQL changelog a master runs, with what its changesets inherit from the entries that reached it. */
export interface IncludedFile {
  file: string;
  /** The contexts and labels of the includes above it (and of master changelogs themselves), innermost first. */
  inherited: Inherited;
  /** Where the `ignore="true"` of the include (or includeAll) that named this file is written, when it says so. */
  ignoredBy?: string;
}

/**
 * The formatted-SQL files a changelog runs, in order: the file itself when it is SQL, else the files its
 * `include` and `includeAll` entries name (nested masters followed). Problems name the file and entry.
 *
 * As Liquibase 4.28 (DatabaseChangeLog.handleChildNode, include, includeAll): an entry's `contextFilter`
 * (else its `context`) and `labels` reach every changeset of the changelogs it names, nested ones too,
 * each to hold on its own besides the changeset's own (liquibase-contexts.ts); a master's own
 * `contextFilter` / `context` (XML root attribute) likewise. `ignore="true"` leaves out the changesets
 * of the files the entry names directly, not those of the changelogs they include in turn (Liquibase's
 * ChangeSet.isInheritableIgnore looks at its own changelog's include only). `errorIfMissing="false"`
 * (include) and `errorIfMissingOrEmpty="false"` (includeAll) pass over a missing file or folder (an
 * empty one too), which else stops the run.
 */
export function changelogFiles(changelog: string, settings: LiquibaseSettings, host: ProjectHost, depth = 0, inherited: Inherited = { contexts: [], labels: [] }, ignoredBy?: string): { files: IncludedFile[]; problems: string[] } {
  const out = { files: [] as IncludedFile[], problems: [] as string[] };
  const text = host.readFile(changelog);
  if (text === undefined) return { files: [], problems: [`The changelog ${changelog} (named by ${settings.source}) does not exist.`] };
  if (/\.sql$/i.test(changelog)) return { files: [{ file: changelog, inherited, ignoredBy }], problems: [] };
  if (depth > 20) return { files: [], problems: [`${changelog}: changelogs include each other more than 20 levels deep.`] };
  let entries: Include[];
  let own: string | undefined;
  if (/\.xml$/i.test(changelog)) ({ entries, context: own } = xmlIncludes(text));
  else if (/\.ya?ml$/i.test(changelog)) entries = yamlIncludes(text);
  else return { files: [], problems: [`${changelog}: zdm reads master changelogs in XML or YAML (and formatted SQL changelogs), not this one.`] };
  if (/<changeSet\b|^\s*-\s*changeSet\s*:/m.test(text)) out.problems.push(`${changelog} holds changesets of its own: zdm runs formatted SQL changesets only; run this changelog with Liquibase.`);
  const name = shown(changelog, settings);
  // This changelog's own context comes before the include that reached it (getInheritableContextFilter).
  const mine: Inherited = own?.trim() ? { contexts: [{ value: own, where: `the changelog ${name} (its databaseChangeLog context)` }, ...inherited.contexts], labels: inherited.labels } : inherited;
  for (const entry of entries) {
    const target = entry.relative ? path.resolve(path.dirname(changelog), entry.target) : find(entry.target, settings.searchPaths, host) ?? path.resolve(settings.searchPaths[0], entry.target);
    const where = (file: string) => `the ${entry.kind} ${entry.kind === 'include' ? `of ${entry.target}` : `of ${entry.target} (${shown(file, settings)})`} in ${name}`;
    const below = (file: string): Inherited => ({
      contexts: entry.context?.trim() ? [{ value: entry.context, where: where(file) }, ...mine.contexts] : mine.contexts,
      labels: entry.labels?.trim() ? [{ value: entry.labels, where: where(file) }, ...mine.labels] : mine.labels,
    });
    if (entry.kind === 'include') {
      if (!entry.errorIfMissing && host.readFile(target) === undefined) continue;
      const inner = changelogFiles(target, settings, host, depth + 1, below(target), entry.ignore ? where(target) : undefined);
      out.files.push(...inner.files);
      out.problems.push(...inner.problems.map((p) => (p.includes('does not exist') ? `${changelog} includes ${entry.target}, which does not exist.` : p)));
    } else {
      const found = filesUnder(target, host).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (found.length === 0) {
        if (entry.errorIfMissing) out.problems.push(host.readDirectory(target) === undefined ? `${changelog}: includeAll path ${entry.target} is not a folder.` : `${changelog}: includeAll path ${entry.target} holds no files; Liquibase stops ("Could not find directory or directory was empty for includeAll"), unless the entry says errorIfMissingOrEmpty="false".`);
        continue;
      }
      for (const file of found) {
        if (/\.sql$/i.test(file)) out.files.push({ file, inherited: below(file), ignoredBy: entry.ignore ? where(file) : undefined });
        else if (/\.(xml|ya?ml)$/i.test(file)) {
          const inner = changelogFiles(file, settings, host, depth + 1, below(file), entry.ignore ? where(file) : undefined);
          out.files.push(...inner.files);
          out.problems.push(...inner.problems);
        }
      }
    }
  }
  return out;
}

/** A changelog's path for messages: as Liquibase records it. */
function shown(file: string, settings: LiquibaseSettings): string {
  const base = settings.searchPaths.find((dir) => (file + path.sep).startsWith(dir + path.sep) && file !== dir);
  return base ? path.relative(base, file).split(path.sep).join('/') : path.basename(file);
}

interface Include {
  kind: 'include' | 'includeAll';
  target: string;
  relative: boolean;
  /** `contextFilter`, else `context`. */
  context?: string;
  labels?: string;
  ignore: boolean;
  /** `errorIfMissing` (include) or `errorIfMissingOrEmpty` (includeAll); true unless it says false. */
  errorIfMissing: boolean;
}

/** The entry as Liquibase reads its attributes (the same keys in XML and YAML). */
function includeOf(kind: Include['kind'], get: (key: string) => string | undefined): Include | undefined {
  const target = get(kind === 'include' ? 'file' : 'path');
  if (target === undefined) return undefined;
  const flag = (key: string) => get(key)?.trim().toLowerCase();
  return {
    kind,
    target,
    relative: flag('relativeToChangelogFile') === 'true',
    context: get('contextFilter')?.trim() ? get('contextFilter') : get('context'),
    labels: get('labels'),
    ignore: flag('ignore') === 'true',
    errorIfMissing: flag(kind === 'include' ? 'errorIfMissing' : 'errorIfMissingOrEmpty') !== 'false',
  };
}

/** `<include file=".."/>` and `<includeAll path=".."/>`, in document order (comments left out); the root's own `contextFilter` / `context`. */
function xmlIncludes(text: string): { entries: Include[]; context?: string } {
  const out: Include[] = [];
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  const attributesOf = (list: string) => {
    const attributes = new Map<string, string>();
    for (const a of list.matchAll(/([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attributes.set(a[1], xmlText(a[2] ?? a[3]));
    return attributes;
  };
  for (const m of body.matchAll(/<(include|includeAll)\b([^>]*)>/g)) {
    const attributes = attributesOf(m[2]);
    const entry = includeOf(m[1] as Include['kind'], (key) => attributes.get(key));
    if (entry) out.push(entry);
  }
  const root = /<databaseChangeLog\b([^>]*)>/.exec(body);
  const rootAttributes = attributesOf(root?.[1] ?? '');
  return { entries: out, context: rootAttributes.get('contextFilter')?.trim() ? rootAttributes.get('contextFilter') : rootAttributes.get('context') };
}

/** An XML attribute's text: its character references read. */
function xmlText(value: string): string {
  return value.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[\da-f]+);/gi, (all, ref: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (ref[0] !== '#') return named[ref.toLowerCase()] ?? all;
    return String.fromCodePoint(ref[1].toLowerCase() === 'x' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10));
  });
}

/** `- include: {file: ..}` and `- includeAll: {path: ..}` entries, block or flow style, in order. */
function yamlIncludes(text: string): Include[] {
  const out: Include[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)-\s*(include|includeAll)\s*:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    let block = m[3];
    const indent = m[1].length;
    // The entry's own lines: indented deeper than its `-`.
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)) block += `\n${lines[++i]}`;
    // Flow style ({file: x, context: a}) ends a plain value at `,` or `}`; block style at the line's end (or a comment).
    const flow = block.trim().startsWith('{');
    const value = (key: string) => {
      const v = new RegExp(`(?:^|[\\s{,])${key}\\s*:\\s*(?:"([^"]*)"|'([^']*)'|(${flow ? '[^,}\\n]*' : '[^\\n]*?(?=\\s+#|$)'}))`, 'm').exec(block);
      return v ? (v[1] ?? v[2] ?? v[3].trim()) : undefined;
    };
    const entry = includeOf(m[2] as Include['kind'], value);
    if (entry) out.push(entry);
  }
  return out;
}

/** `name` as found in the search path (the first folder holding it). */
function find(name: string, searchPaths: readonly string[], host: ProjectHost): string | undefined {
  const clean = name.replace(/^classpath:/, '').replace(/^\/+/, '');
  for (const dir of searchPaths) {
    const full = path.resolve(dir, clean);
    if (host.readFile(full) !== undefined || host.readDirectory(full) !== undefined) return full;
  }
  return path.isAbsolute(name) && (host.readFile(name) !== undefined || host.readDirectory(name) !== undefined) ? name : undefined;
}

/** Files in `dir` and its subfolders (hidden ones left out). */
export function filesUnder(dir: string, host: ProjectHost): string[] {
  const names = host.readDirectory(dir);
  if (!names) return [];
  const out: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const full = path.join(dir, name);
    const inner = host.readDirectory(full);
    if (inner) out.push(...filesUnder(full, host));
    else out.push(full);
  }
  return out;
}

/**
 * liquibase.properties as Liquibase reads it: java.util.Properties (text/java-properties.ts), each
 * value trimmed (DefaultsFileValueProvider's trimAllProperties). Keys normalized as Liquibase matches
 * them (`changelog-file`, `changeLogFile`, `liquibase.command.changelogFile` -> `changelogfile`).
 */
function readProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of readJavaProperties(text)) {
    out.set(key.toLowerCase().replace(/^liquibase\.(command\.)?/, '').replace(/[-._]/g, ''), javaTrim(value));
  }
  return out;
}
