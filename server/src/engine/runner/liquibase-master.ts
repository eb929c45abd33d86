// Which changelog files Liquibase runs, in which order, and the path it records for each: read from the
// project's Liquibase settings when it has them. `liquibase.properties` at the project root (or the
// environment: LIQUIBASE_COMMAND_CHANGELOG_FILE, LIQUIBASE_SEARCH_PATH) may name the changelog
// (`changelog-file`, `changeLogFile`) and the search path (`search-path`, `searchPath`). A master
// changelog in XML or YAML is followed: its `include` (a file) and `includeAll` (a folder: its files and
// subfolders in the order of their paths, as Liquibase sorts them) entries in order, nested masters too.
// Liquibase records a changelog by its path relative to the search-path folder it found it in (the
// working folder when no search path is set): `src/main/resources` makes `db/changelog/001.sql` of
// `src/main/resources/db/changelog/001.sql`, as a Spring Boot application records it.

import * as path from 'node:path';
import type { ProjectHost } from '../host';
import { javaTrim, readJavaProperties } from '../text/java-properties';

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

/**
 * The formatted-SQL files a changelog runs, in order: the file itself when it is SQL, else the files its
 * `include` and `includeAll` entries name (nested masters followed). Problems name the file and entry.
 */
export function changelogFiles(changelog: string, settings: LiquibaseSettings, host: ProjectHost, depth = 0): { files: string[]; problems: string[] } {
  const out = { files: [] as string[], problems: [] as string[] };
  const text = host.readFile(changelog);
  if (text === undefined) return { files: [], problems: [`The changelog ${changelog} (named by ${settings.source}) does not exist.`] };
  if (/\.sql$/i.test(changelog)) return { files: [changelog], problems: [] };
  if (depth > 20) return { files: [], problems: [`${changelog}: changelogs include each other more than 20 levels deep.`] };
  let entries: Include[];
  if (/\.xml$/i.test(changelog)) entries = xmlIncludes(text);
  else if (/\.ya?ml$/i.test(changelog)) entries = yamlIncludes(text);
  else return { files: [], problems: [`${changelog}: zdm reads master changelogs in XML or YAML (and formatted SQL changelogs), not this one.`] };
  if (/<changeSet\b|^\s*-\s*changeSet\s*:/m.test(text)) out.problems.push(`${changelog} holds changesets of its own: zdm runs formatted SQL changesets only; run this changelog with Liquibase.`);
  for (const entry of entries) {
    const target = entry.relative ? path.resolve(path.dirname(changelog), entry.target) : find(entry.target, settings.searchPaths, host) ?? path.resolve(settings.searchPaths[0], entry.target);
    if (entry.kind === 'include') {
      const inner = changelogFiles(target, settings, host, depth + 1);
      out.files.push(...inner.files);
      out.problems.push(...inner.problems.map((p) => (p.includes('does not exist') ? `${changelog} includes ${entry.target}, which does not exist.` : p)));
    } else {
      const found = filesUnder(target, host).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (host.readDirectory(target) === undefined) out.problems.push(`${changelog}: includeAll path ${entry.target} is not a folder.`);
      for (const file of found) {
        if (/\.sql$/i.test(file)) out.files.push(file);
        else if (/\.(xml|ya?ml)$/i.test(file)) {
          const inner = changelogFiles(file, settings, host, depth + 1);
          out.files.push(...inner.files);
          out.problems.push(...inner.problems);
        }
      }
    }
  }
  return out;
}

interface Include {
  kind: 'include' | 'includeAll';
  target: string;
  relative: boolean;
}

/** `<include file=".."/>` and `<includeAll path=".."/>`, in document order (comments left out). */
function xmlIncludes(text: string): Include[] {
  const out: Include[] = [];
  const body = text.replace(/<!--[\s\S]*?-->/g, '');
  for (const m of body.matchAll(/<(include|includeAll)\b([^>]*)>/g)) {
    const attributes = new Map<string, string>();
    for (const a of m[2].matchAll(/([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attributes.set(a[1], a[2] ?? a[3]);
    const target = attributes.get(m[1] === 'include' ? 'file' : 'path');
    if (target !== undefined) out.push({ kind: m[1] as Include['kind'], target, relative: attributes.get('relativeToChangelogFile')?.toLowerCase() === 'true' });
  }
  return out;
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
    const value = (key: string) => new RegExp(`\\b${key}\\s*:\\s*(?:"([^"]*)"|'([^']*)'|([^\\s,}#]+))`).exec(block);
    const target = value(m[2] === 'include' ? 'file' : 'path');
    if (!target) continue;
    out.push({ kind: m[2] as Include['kind'], target: target[1] ?? target[2] ?? target[3], relative: (value('relativeToChangelogFile')?.slice(1).find((v) => v !== undefined) ?? '').toLowerCase() === 'true' });
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
