// Which changelog files Liquibase runs, in which order, and the path it records for each: read from the
// project's Liquibase settings when it has them. `liquibase.properties` at the project root (or the
// environment: LIQUIBASE_COMMAND_CHANGELOG_FILE, LIQUIBASE_SEARCH_PATH) may name the changelog
// (`changelog-file`, `changeLogFile`) and the search path (`search-path`, `searchPath`). A master
// changelog in XML, YAML or JSON is followed: its `include` (a file) and `includeAll` (a folder: its files and
// subfolders in the order of their paths, as Liquibase sorts them) entries in order, nested masters too,
// with the contexts, labels and ignore those entries give the changesets below them, and an includeAll's
// `endsWithFilter`, `minDepth` and `maxDepth` choosing its files.
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
  /** `onMissingIncludeChangelog` (LIQUIBASE_ON_MISSING_INCLUDE_CHANGELOG): `WARN` passes over every missing include, as `errorIfMissing="false"` does. */
  onMissingInclude?: string;
  /** `errorOnCircularIncludeAll` (LIQUIBASE_ERROR_ON_CIRCULAR_INCLUDE_ALL): `false` lets an includeAll below another name a folder already named there. */
  errorOnCircularIncludeAll?: string;
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
  // A global setting, not a command's: `liquibase.onMissingIncludeChangelog`, `onMissingIncludeChangelog`
  // and `on-missing-include-changelog` all reach it (readProperties makes them one key).
  settings.onMissingInclude = env.LIQUIBASE_ON_MISSING_INCLUDE_CHANGELOG ?? properties.get('onmissingincludechangelog');
  settings.errorOnCircularIncludeAll = env.LIQUIBASE_ERROR_ON_CIRCULAR_INCLUDE_ALL ?? properties.get('erroroncircularincludeall');
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
  /** The include (or includeAll) that named this file, for messages: `master.xml:3 (its include of sql/a.sql)`. */
  via?: string;
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
 * empty one too), which else stops the run; the setting `onMissingIncludeChangelog=WARN` passes over
 * every missing include (not a missing includeAll folder), as `errorIfMissing="false"` would.
 * Which files an includeAll runs: includeAllFiles. An include without `file` or an includeAll without
 * `path` stops Liquibase (missingTarget). A file named twice is listed twice, each with the entry that
 * named it (`via`): Liquibase reads it twice, and stops on its changesets as duplicates (liquibase-load.ts).
 *
 * Circular includes, as Liquibase 4.28 meets them (checked by running it): below an includeAll, every
 * includeAll's folder is remembered (DatabaseChangeLog.findResources, its SEEN_CHANGELOG_PATHS set,
 * shared by everything that includeAll reaches; not the folder of the includeAll at the top itself),
 * and an includeAll naming a folder already remembered stops the run: "Circular reference detected in
 * 'db/changelog/'. Set liquibase.errorOnCircularIncludeAll if you'd like to ignore this error." So an
 * includeAll of the folder holding the master stops it (on its third reading), and so do two changelogs
 * below one includeAll that each includeAll the same folder, circular or not. The setting
 * `errorOnCircularIncludeAll=false` turns that off. A changelog that includes itself with include
 * (directly or through others) Liquibase reads until Java's stack runs out (StackOverflowError): zdm
 * stops when a changelog comes back a fourth time in its own includes (an includeAll's
 * loop has stopped Liquibase by then), and names the loop. Either stops the whole
 * run: no file is listed then. An include of `.svn` or `cvs` (the file named so, any case) Liquibase
 * passes over without looking (DatabaseChangeLog.include), whether it exists or not; an includeAll
 * takes a `.svn` or `CVS` folder's files as any other's.
 */
export function changelogFiles(changelog: string, settings: LiquibaseSettings, host: ProjectHost): { files: IncludedFile[]; problems: string[] } {
  const walked = walkChangelog(changelog, settings, host, { contexts: [], labels: [] }, undefined, { seen: undefined, stack: [] });
  return walked.stopped ? { files: [], problems: walked.problems } : walked;
}

/** Where an includeAll is, as Liquibase tells what it has seen: the includeAll folders below the top one (undefined above any), and the changelogs being read. */
interface Walk {
  seen: Set<string> | undefined;
  stack: string[];
}

function walkChangelog(changelog: string, settings: LiquibaseSettings, host: ProjectHost, inherited: Inherited, ignoredBy: string | undefined, walk: Walk): { files: IncludedFile[]; problems: string[]; stopped?: boolean } {
  const out = { files: [] as IncludedFile[], problems: [] as string[], stopped: false };
  const text = host.readFile(changelog);
  if (text === undefined) return { files: [], problems: [`The changelog ${changelog} (named by ${settings.source}) does not exist.`] };
  if (/\.sql$/i.test(changelog)) return { files: [{ file: changelog, inherited, ignoredBy }], problems: [] };
  if (walk.stack.filter((f) => f === changelog).length >= 3) {
    const loop = [...walk.stack.slice(walk.stack.indexOf(changelog)), changelog].map((f) => shown(f, settings));
    return { files: [], stopped: true, problems: [`${changelog}: the changelog includes itself (${[...new Set(loop)].join(' -> ')} -> ${shown(changelog, settings)}): Liquibase reads it again and again until it stops with java.lang.StackOverflowError. Remove the include that leads back to it.`] };
  }
  if (walk.stack.length > 20) return { files: [], problems: [`${changelog}: changelogs include each other more than 20 levels deep.`] };
  const inner = (seen: Set<string> | undefined): Walk => ({ seen, stack: [...walk.stack, changelog] });
  let entries: Include[];
  let own: string | undefined;
  // YAML and JSON changelogs are one to Liquibase's YAML parser (SnakeYAML): a block mapping (`databaseChangeLog:`
  // and `- include:` lines) is read line by line, anything else (`{..}`, `[..]`, a scalar, after any `---`) as JSON.
  if (/\.xml$/i.test(changelog) || (/\.(ya?ml|json)$/i.test(changelog) && blockYaml(text))) {
    if (!/\.xml$/i.test(changelog)) {
      const node = changeLogNode(text);
      if (node.line !== undefined) return { files: [], problems: [`${changelog}:${node.line}: the changelog has no databaseChangeLog node (its top-level keys: ${node.keys.join(', ')}); Liquibase stops ("Could not find databaseChangeLog node").`] };
    }
    const read = /\.xml$/i.test(changelog) ? xmlIncludes(text) : { ...yamlIncludes(text), context: undefined };
    if (read.missing.length > 0) return { files: [], problems: read.missing.map((m) => missingTarget(changelog, m.kind, m.line, /\.xml$/i.test(changelog))) };
    ({ entries, context: own } = read);
  } else if (/\.(ya?ml|json)$/i.test(changelog)) {
    const json = jsonIncludes(text, changelog);
    if (json.problems.length > 0) return { files: [], problems: json.problems };
    entries = json.entries;
    if (json.changeSet !== undefined) out.problems.push(`${changelog}:${json.changeSet}: the changelog holds changesets of its own (changeSet entries): zdm runs formatted SQL changesets only; run this changelog with Liquibase.`);
  } else return { files: [], problems: [`${changelog}: zdm reads master changelogs in XML, YAML or JSON (and formatted SQL changelogs), not this one.`] };
  if (/<changeSet\b|^\s*-\s*changeSet\s*:/m.test(text)) out.problems.push(`${changelog} holds changesets of its own: zdm runs formatted SQL changesets only; run this changelog with Liquibase.`);
  const name = shown(changelog, settings);
  // This changelog's own context comes before the include that reached it (getInheritableContextFilter).
  const mine: Inherited = own?.trim() ? { contexts: [{ value: own, where: `the changelog ${name} (its databaseChangeLog context)` }, ...inherited.contexts], labels: inherited.labels } : inherited;
  for (const entry of entries) {
    if (out.stopped) break;
    // Liquibase's include() returns at once for these names, before it looks for the file.
    if (entry.kind === 'include' && /^(\.svn|cvs)$/i.test(entry.target)) continue;
    const target = entry.relative ? path.resolve(path.dirname(changelog), entry.target) : find(entry.target, settings.searchPaths, host) ?? path.resolve(settings.searchPaths[0], entry.target);
    const via = `${name}:${entry.line} (its ${entry.kind} of ${entry.target})`;
    const where = (file: string) => `the ${entry.kind} ${entry.kind === 'include' ? `of ${entry.target}` : `of ${entry.target} (${shown(file, settings)})`} in ${name}`;
    const below = (file: string): Inherited => ({
      contexts: entry.context?.trim() ? [{ value: entry.context, where: where(file) }, ...mine.contexts] : mine.contexts,
      labels: entry.labels?.trim() ? [{ value: entry.labels, where: where(file) }, ...mine.labels] : mine.labels,
    });
    if (entry.kind === 'include') {
      if (host.readFile(target) === undefined) {
        const setting = settings.onMissingInclude?.trim().toUpperCase();
        // Liquibase reads the setting only here, at a missing include: a wrong value stops the run then.
        if (setting !== undefined && setting !== 'FAIL' && setting !== 'WARN') {
          out.problems.push(`${changelog} includes ${entry.target}, which does not exist, and the onMissingIncludeChangelog setting says \`${settings.onMissingInclude}\`: Liquibase accepts FAIL or WARN only, and stops.`);
          continue;
        }
        if (!entry.errorIfMissing || setting === 'WARN') continue;
      }
      const read = walkChangelog(target, settings, host, below(target), entry.ignore ? where(target) : undefined, inner(walk.seen));
      out.files.push(...read.files.map((f) => ({ ...f, via: f.via ?? via })));
      out.problems.push(...read.problems.map((p) => (p.includes('does not exist') ? `${changelog} includes ${entry.target}, which does not exist.` : p)));
      if (read.stopped) out.stopped = true;
    } else {
      // The folder as Liquibase's fixPath writes it: resolved when relative, `/` for `\`, a `/` at the end.
      const folder = `${(entry.relative ? recordedPath(target, settings, settings.searchPaths[0]) : entry.target).replace(/\\/g, '/').replace(/\/?$/, '/')}`;
      if (walk.seen !== undefined && settings.errorOnCircularIncludeAll?.trim().toLowerCase() !== 'false') {
        if (walk.seen.has(folder)) {
          out.problems.push(`${changelog}:${entry.line}: the includeAll of ${entry.target} names a folder an includeAll already named below the same top includeAll; Liquibase stops ("Circular reference detected in '${folder}'. Set liquibase.errorOnCircularIncludeAll if you'd like to ignore this error.").`);
          out.stopped = true;
          break;
        }
        walk.seen.add(folder);
      }
      const found = includeAllFiles(entry, target, changelog, host);
      if (found.problem) out.problems.push(found.problem);
      // Everything below this includeAll shares one set of the folders seen (a new one below a top includeAll).
      const seen = walk.seen ?? new Set<string>();
      for (const file of found.files) {
        if (/\.sql$/i.test(file)) out.files.push({ file, inherited: below(file), ignoredBy: entry.ignore ? where(file) : undefined, via });
        // Liquibase parses every file it has a parser for: XML, YAML and JSON changelogs are followed;
        // others (a README) it passes over.
        else if (/\.(xml|ya?ml|json)$/i.test(file)) {
          const read = walkChangelog(file, settings, host, below(file), entry.ignore ? where(file) : undefined, inner(seen));
          out.files.push(...read.files.map((f) => ({ ...f, via: f.via ?? via })));
          out.problems.push(...read.problems);
          if (read.stopped) {
            out.stopped = true;
            break;
          }
        }
      }
    }
  }
  return out;
}

/**
 * The files an includeAll entry runs, in order, as Liquibase 4.28 finds them (DatabaseChangeLog.findResources
 * and AbstractPathResourceAccessor.search, checked by running it on test folders): every regular file of
 * the folder and its subfolders, hidden ones too (Liquibase's file walk skips nothing), sorted by path as
 * strings. `maxDepth` is the depth of Java's Files.walkFileTree, so a file directly in the folder is at
 * depth 1, one in a subfolder at 2 (`maxDepth="1"`: the folder's own files; `0`: none); `minDepth` keeps
 * the files at that depth or deeper (0 and 1 keep all). Defaults: 0 and no limit. `endsWithFilter`
 * (trimmed) keeps the files whose path ends with it, ignoring case (`_up.sql` takes `D_UP.SQL` too).
 * Nothing left after these, or no folder, stops the run unless the entry says
 * errorIfMissingOrEmpty="false" (no `problem` then); a folder of files Liquibase cannot parse
 * (a README alone) is not empty, and runs nothing.
 * `filter` / `resourceFilter` (an IncludeAllFilter class) and `resourceComparator` (a Comparator class)
 * are Java code Liquibase loads and runs on the paths: zdm cannot, and refuses the entry.
 */
function includeAllFiles(entry: Include, target: string, changelog: string, host: ProjectHost): { files: string[]; problem?: string } {
  const at = `${changelog}:${entry.line}`;
  for (const key of ['filter', 'resourceFilter', 'resourceComparator']) {
    const value = entry.java.get(key);
    if (value === undefined) continue;
    const what = key === 'resourceComparator' ? 'a Java Comparator class that orders its files' : 'a Java IncludeAllFilter class that chooses its files';
    return { files: [], problem: `${changelog}:${entry.lines.get(key) ?? entry.line}: the includeAll of ${entry.target} says ${key}="${value}", ${what}: Liquibase loads and runs that code, and zdm cannot follow it, so it does not know which changelogs Liquibase would run, or in which order. Run this changelog with Liquibase, or list the files with include (or choose them with endsWithFilter, minDepth, maxDepth).` };
  }
  const depth = (key: 'minDepth' | 'maxDepth', fallback: number): number | string => {
    const value = entry[key];
    if (value === undefined) return fallback;
    // XML's schema trims the number; YAML and JSON text is taken as written (Integer.parseInt: " 1 " stops Liquibase).
    if (!(entry.untrimmed ? /^[-+]?\d+$/ : /^\s*-?\d+\s*$/).test(value)) return `${at}: the includeAll of ${entry.target} says ${key}="${value}", which is not a whole number; Liquibase stops.`;
    const n = Number(value);
    return n < 0 ? `${at}: the includeAll of ${entry.target} says ${key}="${value}"; Liquibase stops ("${key} must be non-negative").` : n;
  };
  const minDepth = depth('minDepth', 0);
  const maxDepth = depth('maxDepth', Infinity);
  if (typeof minDepth === 'string') return { files: [], problem: minDepth };
  if (typeof maxDepth === 'string') return { files: [], problem: maxDepth };
  if (maxDepth < minDepth) return { files: [], problem: `${at}: the includeAll of ${entry.target} says minDepth="${entry.minDepth}" and maxDepth="${entry.maxDepth}"; Liquibase stops ("maxDepth argument must be greater than minDepth").` };
  const endsWith = entry.endsWith?.trim().toLowerCase() ?? '';
  const all = filesUnder(target, host, { hidden: true, maxDepth });
  const files = all
    .filter((f) => path.relative(target, f).split(path.sep).length >= minDepth && f.split(path.sep).join('/').toLowerCase().endsWith(endsWith))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (files.length > 0) return { files };
  if (!entry.errorIfMissing) return { files: [] };
  if (host.readDirectory(target) === undefined) return { files: [], problem: `${at}: includeAll path ${entry.target} is not a folder.` };
  const filtered = [entry.endsWith?.trim() ? `endsWithFilter="${entry.endsWith}"` : '', entry.minDepth !== undefined ? `minDepth="${entry.minDepth}"` : '', entry.maxDepth !== undefined ? `maxDepth="${entry.maxDepth}"` : ''].filter(Boolean);
  const none = filtered.length > 0 && filesUnder(target, host, { hidden: true }).length > 0 ? `holds no file its ${filtered.join(', ')} keeps` : 'holds no files';
  return { files: [], problem: `${at}: includeAll path ${entry.target} ${none}; Liquibase stops ("Could not find directory, directory was empty, or no changelogs matched the provided search criteria for includeAll"), unless the entry says errorIfMissingOrEmpty="false".` };
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
  /** includeAll's `endsWithFilter`, `minDepth` and `maxDepth`, as written. */
  endsWith?: string;
  minDepth?: string;
  maxDepth?: string;
  /** YAML or JSON: minDepth and maxDepth are read as written, not trimmed as XML's schema trims them. */
  untrimmed?: boolean;
  /** includeAll's `filter`, `resourceFilter` and `resourceComparator`: Java class names, refused. */
  java: Map<string, string>;
  /** The entry's line, and the lines of its attributes (for messages). */
  line: number;
  lines: Map<string, number>;
}

/** An include without `file`, an includeAll without `path`: where it is written. */
interface Missing {
  kind: Include['kind'];
  line: number;
}

/**
 * An include without `file` or an includeAll without `path` stops Liquibase 4.28 (checked by running it):
 * in XML its schema refuses the entry; in YAML and JSON its parser does (`- include: {}`, `- include:`).
 */
function missingTarget(changelog: string, kind: Include['kind'], line: number, xml: boolean): string {
  const key = kind === 'include' ? 'file' : 'path';
  const says = xml ? `Attribute '${key}' must appear on element '${kind}'` : kind === 'include' ? "No 'file' attribute on 'include'" : 'No path attribute for includeAll';
  return `${changelog}:${line}: the ${kind} gives no ${key}; Liquibase stops ("${says}").`;
}

/** The entry as Liquibase reads its attributes (the same keys in XML and YAML); `lineOf` the line of one, if written. */
function includeOf(kind: Include['kind'], get: (key: string) => string | undefined, line: number, lineOf: (key: string) => number | undefined): Include | undefined {
  const target = get(kind === 'include' ? 'file' : 'path');
  if (target === undefined) return undefined;
  const flag = (key: string) => get(key)?.trim().toLowerCase();
  const java = new Map<string, string>();
  const lines = new Map<string, number>();
  // Liquibase reads these of includeAll only (an include's are never looked at).
  for (const key of kind === 'includeAll' ? ['filter', 'resourceFilter', 'resourceComparator'] : []) {
    const value = get(key);
    if (value === undefined) continue;
    java.set(key, value);
    const at = lineOf(key);
    if (at !== undefined) lines.set(key, at);
  }
  return {
    endsWith: kind === 'includeAll' ? get('endsWithFilter') : undefined,
    minDepth: kind === 'includeAll' ? get('minDepth') : undefined,
    maxDepth: kind === 'includeAll' ? get('maxDepth') : undefined,
    java,
    line,
    lines,
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
function xmlIncludes(text: string): { entries: Include[]; context?: string; missing: Missing[] } {
  const out: Include[] = [];
  const missing: Missing[] = [];
  // Comments blanked, not cut, so that offsets (and lines) stay those of the file.
  const body = text.replace(/<!--[\s\S]*?-->/g, (c) => c.replace(/[^\n]/g, ' '));
  const lineAt = (offset: number) => body.slice(0, offset).split('\n').length;
  const attributesOf = (list: string) => {
    const attributes = new Map<string, string>();
    const offsets = new Map<string, number>();
    for (const a of list.matchAll(/([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
      attributes.set(a[1], xmlText(a[2] ?? a[3]));
      offsets.set(a[1], a.index);
    }
    return { attributes, offsets };
  };
  for (const m of body.matchAll(/<(include|includeAll)\b([^>]*)>/g)) {
    const { attributes, offsets } = attributesOf(m[2]);
    const start = m.index + 1 + m[1].length;
    const entry = includeOf(m[1] as Include['kind'], (key) => attributes.get(key), lineAt(m.index), (key) => (offsets.has(key) ? lineAt(start + offsets.get(key)!) : undefined));
    if (entry) out.push(entry);
    else missing.push({ kind: m[1] as Include['kind'], line: lineAt(m.index) });
  }
  const root = /<databaseChangeLog\b([^>]*)>/.exec(body);
  const rootAttributes = attributesOf(root?.[1] ?? '').attributes;
  return { entries: out, missing, context: rootAttributes.get('contextFilter')?.trim() ? rootAttributes.get('contextFilter') : rootAttributes.get('context') };
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
function yamlIncludes(text: string): { entries: Include[]; missing: Missing[] } {
  const out: Include[] = [];
  const missing: Missing[] = [];
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)-\s*(include|includeAll)\s*:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    let block = m[3];
    const line = i + 1;
    const indent = m[1].length;
    // The entry's own lines: indented deeper than its `-`.
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > indent)) block += `\n${lines[++i]}`;
    // Flow style ({file: x, context: a}) ends a plain value at `,` or `}`; block style at the line's end (or a comment).
    const flow = block.trim().startsWith('{');
    const value = (key: string) => {
      const v = new RegExp(`(?:^|[\\s{,])${key}\\s*:\\s*(?:"([^"]*)"|'([^']*)'|(${flow ? '[^,}\\n]*' : '[^\\n]*?(?=\\s+#|$)'}))`, 'm').exec(block);
      return v ? (v[1] ?? v[2] ?? yamlPlain(v[3].trim())) : undefined;
    };
    const lineOf = (key: string) => {
      const at = block.split('\n').findIndex((l) => new RegExp(`(?:^|[\\s{,])${key}\\s*:`).test(l));
      return at === -1 ? undefined : line + at;
    };
    const entry = includeOf(m[2] as Include['kind'], value, line, lineOf);
    if (entry) out.push({ ...entry, untrimmed: true });
    else missing.push({ kind: m[2] as Include['kind'], line });
  }
  return { entries: out, missing };
}

/**
 * A JSON changelog's `include` and `includeAll` entries, in order, read with JSON.parse; or the problems
 * that stop Liquibase (and zdm) on it, with the file and line. `changeSet`: the line of its first
 * changeSet entry, if it has one.
 *
 * As Liquibase 4.28 reads it (checked by running it): JsonChangeLogParser is its YAML parser (SnakeYAML),
 * so a `.json` changelog is the YAML one written as JSON: the same entries and attributes. An attribute
 * may be a JSON string, number or boolean (`"maxDepth": 1` and `"1"`, `"ignore": true` and `"true"` are
 * the same); a number Liquibase reads as written (`1.0` is not a whole number for maxDepth); `null` is as
 * if not written. YAML comments (`#` after a space or at a line's start) and trailing commas are YAML
 * that Liquibase takes, and zdm blanks them before JSON.parse; `//` and `/* *\/` comments stop
 * Liquibase ("Syntax error"), and zdm too. Text that is not JSON but YAML in flow style (unquoted or
 * single-quoted keys and values: `{databaseChangeLog: [{include: {file: 'a.sql'}}]}`) Liquibase takes
 * (checked by running it): zdm makes it JSON (flowYamlToJson) and reads that, its lines those of the
 * file; a syntax error in it names the file's line and column. A leading `---` (YAML's document marker,
 * after blank and `#` comment lines) is blanked: the JSON after it is the document. A text, number or list
 * where the changelog's object should be (`hello`, `[..]`, `- include:` lines) stops Liquibase ("Syntax
 * error in file": its cast to a Map fails), and zdm, at its line and column. (Block-style YAML, a file
 * whose first line with content is a key, is read as a YAML master: changelogFiles.) An entry with both keys (`{"include": .., "includeAll": ..}`)
 * runs both, in the order written; a duplicate key is the last one written (SnakeYAML's and JSON.parse's
 * rule). An include without `file`, an includeAll without `path`, an empty changelog, one without a
 * `databaseChangeLog` list: Liquibase stops, and so does zdm. Other entries (`property`, `preConditions`,
 * a string) are passed over, as in YAML.
 */
function jsonIncludes(text: string, changelog: string): { entries: Include[]; problems: string[]; changeSet?: number } {
  const source = text.replace(/^\uFEFF/, '');
  // A leading `---` (YAML's document marker) is blanked: `---\n{..}` is the document `{..}` to Liquibase.
  const document = blankDocumentStart(source);
  let clean = blankYamlisms(document);
  // Offsets in `clean` are those of the file, unless it is YAML made JSON (flowYamlToJson): then `origin` maps them.
  let origin: number[] | undefined;
  const toSource = (offset: number) => (origin ? (origin[offset] ?? source.length) : offset);
  const lineAt = (offset: number) => source.slice(0, toSource(offset)).split(/\r\n?|\n/).length;
  const stop = (message: string, offset?: number) => ({ entries: [], problems: [`${changelog}${offset === undefined ? '' : `:${lineAt(offset)}`}: ${message}`] });
  // A stop at an offset of the file, with its line and column.
  const stopAt = (at: number, message: string) => {
    const column = at - Math.max(source.lastIndexOf('\n', at - 1), source.lastIndexOf('\r', at - 1));
    return { entries: [], problems: [`${changelog}:${source.slice(0, at).split(/\r\n?|\n/).length}:${column}: ${message}`] };
  };
  const notAMap = (at: number, what: string, java: string) =>
    stopAt(at, `not a changelog: the file holds ${what}, not an object with databaseChangeLog; Liquibase stops ("Syntax error in file": class ${java} cannot be cast to class java.util.Map).`);
  // A block-style list (`- include:` lines at the top): a list to Liquibase, not a changelog.
  const start = clean.search(/\S/);
  if (start !== -1 && /^-(?=\s|$)/.test(clean.slice(start))) return notAMap(start, 'a list', 'java.util.ArrayList');
  let root: unknown;
  try {
    root = clean.trim() === '' ? undefined : JSON.parse(clean);
  } catch {
    // Not JSON: YAML in flow style ({databaseChangeLog: [{include: {file: 'a.sql'}}]}) is one to Liquibase.
    const yaml = flowYamlToJson(document);
    let at = 'at' in yaml ? yaml.at : undefined;
    if (!('at' in yaml)) {
      try {
        root = JSON.parse(yaml.json);
        ({ json: clean, origin } = yaml);
      } catch {
        at = yaml.origin[jsonErrorAt(yaml.json)] ?? source.length;
      }
    }
    if (at !== undefined) {
      const what = at >= source.length ? 'the file ends too early' : `unexpected \`${source[at]}\``;
      const problem = /\.json$/i.test(changelog) ? `not valid JSON (${what}). Liquibase reads a .json changelog with its YAML parser, and stops on this too ("Syntax error in file"): it is not YAML either.` : `not valid YAML (${what}); Liquibase stops on this too ("Syntax error in file").`;
      return stopAt(at, problem);
    }
  }
  const offsets = jsonKeyOffsets(clean);
  const offsetOf = (...keys: (string | number)[]) => offsets.get(JSON.stringify(keys));
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (root === undefined || root === null || (isObject(root) && Object.keys(root).length === 0)) return stop('the changelog is empty; Liquibase stops ("Empty file").');
  if (!isObject(root)) {
    // A text, number or list where the changelog's object should be: Liquibase's cast to a Map fails.
    const [what, java] = Array.isArray(root) ? ['a list', 'java.util.ArrayList'] : typeof root === 'string' ? ['a text', 'java.lang.String'] : typeof root === 'boolean' ? ['a boolean', 'java.lang.Boolean'] : Number.isInteger(root) ? ['a number', 'java.lang.Integer'] : ['a number', 'java.lang.Double'];
    return notAMap(toSource(clean.search(/\S/)), what, java);
  }
  if (!('databaseChangeLog' in root)) return stop('the changelog has no databaseChangeLog object; Liquibase stops ("Could not find databaseChangeLog node").');
  const list = root.databaseChangeLog;
  if (!Array.isArray(list)) return stop('databaseChangeLog is not a list of entries ([{"include": {..}}, ..]); Liquibase stops.', offsetOf('databaseChangeLog')?.key);
  const entries: Include[] = [];
  const problems: string[] = [];
  let changeSet: number | undefined;
  list.forEach((item, index) => {
    if (!isObject(item)) return;
    for (const [kind, value] of Object.entries(item)) {
      const at = offsetOf('databaseChangeLog', index, kind)?.key;
      const line = at === undefined ? 1 : lineAt(at);
      if (kind === 'changeSet') changeSet ??= line;
      if (kind !== 'include' && kind !== 'includeAll') continue;
      const attributes = isObject(value) ? value : {};
      const listed = Object.entries(attributes).find(([, v]) => typeof v === 'object' && v !== null);
      if (listed) {
        const key = offsetOf('databaseChangeLog', index, kind, listed[0])?.key;
        problems.push(`${changelog}:${key === undefined ? line : lineAt(key)}: the ${kind}'s ${listed[0]} is a JSON ${Array.isArray(listed[1]) ? 'list' : 'object'}; Liquibase reads it as Java prints it (${Array.isArray(listed[1]) ? '`[a, b]`' : '`{a=b}`'}), zdm does not: write it as a string ("a, b").`);
        continue;
      }
      const get = (key: string): string | undefined => {
        const v = attributes[key];
        if (v === undefined || v === null) return undefined;
        if (typeof v !== 'number') return String(v);
        // The number as written: Liquibase has its text (`1.0` stays `1.0`).
        const start = offsetOf('databaseChangeLog', index, kind, key)?.value;
        return (start === undefined ? undefined : /-?\d[\d.eE+-]*/y.exec(clean.slice(start))?.[0]) ?? String(v);
      };
      const lineOf = (key: string) => {
        const offset = offsetOf('databaseChangeLog', index, kind, key)?.key;
        return offset === undefined ? undefined : lineAt(offset);
      };
      const entry = includeOf(kind, get, line, lineOf);
      if (entry) entries.push({ ...entry, untrimmed: true });
      else problems.push(missingTarget(changelog, kind, line, false));
    }
  });
  return { entries, problems, changeSet };
}

/**
 * A plain (unquoted) YAML scalar as Liquibase has it: SnakeYAML (YAML 1.1) makes `yes`, `on`, `true`
 * (and `no`, `off`, `false`) in any of their spellings booleans, so `ignore: yes` ignores (checked by
 * running Liquibase 4.28); quoted, `'yes'` is text and does not.
 */
function yamlPlain(value: string): string {
  return /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/.test(value) ? String(/^(?:yes|true|on)$/i.test(value)) : value;
}

/**
 * Whether a YAML or JSON changelog's text is a block-style YAML mapping: its first line with content
 * (after blank and `#` comment lines and a `---` document marker) is a key (`databaseChangeLog:`,
 * `"databaseChangeLog":`). Anything else is read as JSON (jsonIncludes, which reads YAML in flow style):
 * `{..}` and `[..]`, and a scalar or a `//` comment, which stop Liquibase ("Syntax error in file") and zdm.
 */
function blockYaml(text: string): boolean {
  const first = /\S[^\r\n]*/.exec(blankYamlisms(blankDocumentStart(text.replace(/^\uFEFF/, ''))))?.[0];
  return first !== undefined && YAML_KEY.test(first);
}

/** A block mapping's key at a line's start: plain, double- or single-quoted, followed by `:` and a space or the line's end. */
const YAML_KEY = /^(?:"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'|[^\s{}[\]#,'"&*!|>%@`?-][^\r\n]*?|-[^\s\r\n][^\r\n]*?)\s*:(?=\s|$)/;

/**
 * A block YAML changelog's top-level keys, to check that one is databaseChangeLog: Liquibase stops
 * without it ("Could not find databaseChangeLog node"). `line`: the first key's line when none is
 * databaseChangeLog (undefined when one is, or when there is no key).
 */
function changeLogNode(text: string): { line?: number; keys: string[] } {
  const lines = blankYamlisms(blankDocumentStart(text.replace(/^\uFEFF/, ''))).split(/\r\n?|\n/);
  const first = lines.findIndex((l) => /\S/.test(l));
  if (first === -1) return { keys: [] };
  const indent = lines[first].search(/\S/);
  const keys: string[] = [];
  for (const l of lines.slice(first)) {
    if (!/\S/.test(l) || l.search(/\S/) !== indent) continue;
    const key = YAML_KEY.exec(l.slice(indent))?.[0];
    if (key === undefined) continue;
    const name = key.replace(/\s*:$/, '');
    keys.push(name);
    if (/^(?:databaseChangeLog|"databaseChangeLog"|'databaseChangeLog')$/.test(name)) return { keys };
  }
  return { line: first + 1, keys };
}

/**
 * The text with its leading YAML document marker (`---` at a line's start, after blank and `#` comment
 * lines only) blanked, so that offsets and lines stay: `---\n{"databaseChangeLog": ..}` is the document
 * `{..}` to Liquibase's YAML parser.
 */
function blankDocumentStart(text: string): string {
  const m = /^(?:[ \t]*(?:#[^\r\n]*)?(?:\r\n?|\n))*---(?=\s|$)/.exec(text);
  return m ? `${text.slice(0, m[0].length - 3)}   ${text.slice(m[0].length)}` : text;
}

/**
 * YAML in flow style made JSON, as Liquibase's YAML parser (SnakeYAML, YAML 1.1) reads it: keys and values
 * unquoted (plain: `{file: db/a.sql}`, `classpath:db/a.sql`) or in single quotes (`'it''s'`) become JSON
 * strings, plain `true`/`yes`/`on` (any of YAML 1.1's spellings) booleans, `~` and `null` null, JSON
 * numbers stay; `#` comments and trailing commas are blanked. `origin`: each JSON character's offset in
 * the text. `at`: where the text stops being YAML this reads (a `//` or `/*` comment, say).
 */
function flowYamlToJson(text: string): { json: string; origin: number[] } | { at: number } {
  let json = '';
  const origin: number[] = [];
  const emit = (out: string, from: number) => {
    for (const c of out) {
      json += c;
      origin.push(from);
    }
  };
  let comma = -1;
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') emit(' ', i++);
    } else if (/\s/.test(c)) emit(c, i++);
    else if ((c === ']' || c === '}') && comma !== -1) {
      json = json.slice(0, comma) + ' ' + json.slice(comma + 1);
      comma = -1;
    } else if ('{}[],:'.includes(c)) {
      comma = c === ',' ? json.length : -1;
      emit(c, i++);
    } else if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      for (let k = start; k <= Math.min(i, text.length - 1); k++) emit(text[k], k);
      i++;
      comma = -1;
    } else if (c === "'") {
      const start = i;
      let value = '';
      for (i++; i < text.length; i++) {
        if (text[i] === "'" && text[i + 1] === "'") value += text[++i];
        else if (text[i] === "'") break;
        else value += text[i];
      }
      if (i >= text.length) return { at: text.length };
      emit(JSON.stringify(value), start);
      i++;
      comma = -1;
    } else {
      if (c === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) return { at: i };
      // A plain scalar ends at a flow indicator, at `: ` (a `:` before a space, an indicator or the line's end), at ` #`, at the line's end.
      const end = /[,[\]{}\r\n]|:(?=[\s,[\]{}]|$)|\s#/g;
      end.lastIndex = i;
      const stop = end.exec(text)?.index ?? text.length;
      const value = text.slice(i, stop).trimEnd();
      let out: string;
      if (/^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/.test(value)) out = value;
      else if (/^(?:~|null|Null|NULL)$/.test(value)) out = 'null';
      else if (yamlPlain(value) !== value) out = yamlPlain(value);
      else out = JSON.stringify(value);
      emit(out, i);
      i += value.length;
      comma = -1;
    }
  }
  return { json, origin };
}

/**
 * JSON text with what Liquibase's YAML parser takes besides JSON blanked (spaces, so that offsets and
 * lines stay): `#` comments (at a line's start or after a space, outside strings) and trailing commas.
 */
function blankYamlisms(text: string): string {
  const out = text.split('');
  let comma = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      comma = -1;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      for (; i < text.length && text[i] !== '\n' && text[i] !== '\r'; i++) out[i] = ' ';
    } else if (c === ',') comma = i;
    else if ((c === ']' || c === '}') && comma !== -1) {
      out[comma] = ' ';
      comma = -1;
    } else if (!/\s/.test(c)) comma = -1;
  }
  return out.join('');
}

/**
 * Where each key of a JSON text is (valid JSON): by its path (JSON.stringify of its keys and list
 * indexes from the root), the offset of the key and of its value. A duplicate key: the last one.
 */
function jsonKeyOffsets(text: string): Map<string, { key: number; value: number }> {
  const out = new Map<string, { key: number; value: number }>();
  const path: (string | number)[] = [];
  const kinds: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      const colon = /\s*:\s*/y;
      colon.lastIndex = i + 1;
      if (kinds[kinds.length - 1] === '{' && colon.exec(text)) {
        path[path.length - 1] = JSON.parse(text.slice(start, i + 1)) as string;
        out.set(JSON.stringify(path), { key: start, value: colon.lastIndex });
      }
    } else if (c === '{' || c === '[') {
      kinds.push(c);
      path.push(c === '[' ? 0 : '');
    } else if (c === '}' || c === ']') {
      kinds.pop();
      path.pop();
    } else if (c === ',' && kinds[kinds.length - 1] === '[') path[path.length - 1] = (path[path.length - 1] as number) + 1;
  }
  return out;
}

/** The offset of the first error in a text that JSON.parse refuses (its length when the text ends too early). */
function jsonErrorAt(text: string): number {
  let i = 0;
  const space = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const fail = (): never => {
    throw i;
  };
  const string = () => {
    for (i++; i < text.length && text[i] !== '"'; i++) {
      if (text[i] < ' ') fail();
      if (text[i] === '\\') i++;
    }
    if (i >= text.length) fail();
    i++;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '"') return string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail();
          string();
          space();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === close) {
          i++;
          return;
        } else fail();
      }
    }
    const scalar = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
    scalar.lastIndex = i;
    if (!scalar.exec(text)) fail();
    i = scalar.lastIndex;
  };
  try {
    value();
    space();
    if (i < text.length) fail();
  } catch (at) {
    if (typeof at === 'number') return Math.min(at, text.length);
    throw at;
  }
  return text.length;
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

/**
 * Files in `dir` and its subfolders: hidden ones left out unless `hidden` (an includeAll takes them, as
 * Liquibase does); down to `maxDepth` (1: the folder's own files).
 */
export function filesUnder(dir: string, host: ProjectHost, options: { hidden?: boolean; maxDepth?: number } = {}): string[] {
  const maxDepth = options.maxDepth ?? Infinity;
  const names = maxDepth >= 1 ? host.readDirectory(dir) : undefined;
  if (!names) return [];
  const out: string[] = [];
  for (const name of names) {
    if (name.startsWith('.') && !options.hidden) continue;
    const full = path.join(dir, name);
    const inner = host.readDirectory(full);
    if (inner) out.push(...filesUnder(full, host, { ...options, maxDepth: maxDepth - 1 }));
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
