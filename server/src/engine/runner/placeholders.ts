// The `${name}` placeholders a tool substitutes before it runs a script, substituted the same way by
// zdm's runner (the linter reads them as identifiers: sql/placeholders.ts).
// - Flyway (placeholderReplacement is on by default; off in the project settings, nothing is substituted): `flyway.placeholders.NAME=value` in the project's
//   flyway.conf or conf/flyway.conf, `[flyway.placeholders]` in flyway.toml, FLYWAY_PLACEHOLDERS_NAME in
//   the environment (which wins), and the built-ins `flyway:defaultSchema`, `flyway:user`,
//   `flyway:database`, `flyway:timestamp`, `flyway:filename`, `flyway:table`.
// - goose, under `-- +goose ENVSUB ON`: environment variables, `${VAR:-default}` and `${VAR-default}`.
// A placeholder with no value stops the migration before any statement runs, as Flyway stops. goose
// would substitute an empty string (only `${VAR?message}` stops it): zdm stops there too, a forgotten
// variable being likelier than a meant empty one (docs/runner.md, Placeholders).

import * as path from 'node:path';
import type { FormatId } from '../model';
import type { ProjectHost } from '../host';
import { childPath } from '../paths';

const PLACEHOLDER = /\$\{([^}"\n]*)\}/g;

/** Values known when the project is loaded; `flyway:user` and `flyway:database` come from the session. */
export function placeholderValues(format: FormatId, root: string, host: ProjectHost, env: NodeJS.ProcessEnv): Map<string, string> {
  const values = new Map<string, string>();
  if (format === 'goose') {
    for (const [k, v] of Object.entries(env)) if (v !== undefined) values.set(k, v);
    return values;
  }
  if (format !== 'flyway') return values;
  const settings = flywaySettings(root, host);
  for (const [k, v] of settings) if (k.startsWith('flyway.placeholders.')) values.set(k.slice('flyway.placeholders.'.length), v);
  for (const [k, v] of Object.entries(env)) if (k.startsWith('FLYWAY_PLACEHOLDERS_') && v !== undefined) values.set(k.slice('FLYWAY_PLACEHOLDERS_'.length).toLowerCase(), v);
  const schemas = settings.get('flyway.schemas')?.split(',')[0]?.trim();
  values.set('flyway:defaultSchema', settings.get('flyway.defaultSchema') ?? (schemas || 'public'));
  values.set('flyway:table', settings.get('flyway.table') ?? 'flyway_schema_history');
  return values;
}

/** The project's Flyway settings (flyway.conf, conf/flyway.conf, flyway.toml's [flyway] tables) as flyway.conf keys. */
function flywaySettings(root: string, host: ProjectHost): Map<string, string> {
  let settings = new Map<string, string>();
  for (const file of [childPath(root, 'flyway.conf'), childPath(root, 'conf', 'flyway.conf')]) {
    const text = host.readFile(file);
    if (text !== undefined) settings = new Map([...settings, ...confSettings(text)]);
  }
  const toml = host.readFile(childPath(root, 'flyway.toml'));
  if (toml !== undefined) settings = new Map([...settings, ...tomlSettings(toml)]);
  return settings;
}

/**
 * Flyway's schema history table as the project configures it (`flyway.table`, in the schema
 * `flyway.defaultSchema`, else the first of `flyway.schemas`; FLYWAY_TABLE, FLYWAY_DEFAULT_SCHEMA and
 * FLYWAY_SCHEMAS in the environment win), written `"schema"."table"`; undefined when the project sets
 * none of them (the default table, found through search_path).
 */
export function flywayHistoryTable(root: string, host: ProjectHost, env: NodeJS.ProcessEnv): string | undefined {
  const settings = flywaySettings(root, host);
  const table = env.FLYWAY_TABLE ?? settings.get('flyway.table');
  const schema = configuredSchema(settings, env);
  if (!table?.trim() && !schema) return undefined;
  const quote = (name: string) => `"${name.trim().replace(/"/g, '""')}"`;
  const name = quote(table?.trim() || 'flyway_schema_history');
  return schema ? `${quote(schema)}.${name}` : name;
}

/** FLYWAY_DEFAULT_SCHEMA / `flyway.defaultSchema`, else the first of FLYWAY_SCHEMAS / `flyway.schemas`, trimmed; undefined when none is set. */
function configuredSchema(settings: Map<string, string>, env: NodeJS.ProcessEnv): string | undefined {
  return (env.FLYWAY_DEFAULT_SCHEMA ?? settings.get('flyway.defaultSchema') ?? (env.FLYWAY_SCHEMAS ?? settings.get('flyway.schemas'))?.split(',')[0])?.trim() || undefined;
}

/**
 * The schema Flyway manages when the project names one (FLYWAY_DEFAULT_SCHEMA, `flyway.defaultSchema`,
 * else the first of FLYWAY_SCHEMAS / `flyway.schemas`): Flyway creates it when missing (unless
 * `createSchemas` is false) and puts it first on the session's search_path while it migrates.
 */
export function flywaySchema(root: string, host: ProjectHost, env: NodeJS.ProcessEnv): { schema: string; create: boolean } | undefined {
  const settings = flywaySettings(root, host);
  const schema = configuredSchema(settings, env);
  if (!schema) return undefined;
  const create = (env.FLYWAY_CREATE_SCHEMAS ?? settings.get('flyway.createSchemas'))?.trim().toLowerCase() !== 'false';
  return { schema, create };
}

/** Flyway's `placeholderReplacement` setting: FLYWAY_PLACEHOLDER_REPLACEMENT, else the project's settings; on by default. */
export function flywayPlaceholderReplacement(root: string, host: ProjectHost, env: NodeJS.ProcessEnv): boolean {
  const value = env.FLYWAY_PLACEHOLDER_REPLACEMENT ?? flywaySettings(root, host).get('flyway.placeholderReplacement');
  return value?.trim().toLowerCase() !== 'false';
}

/** Flyway's `outOfOrder` setting: FLYWAY_OUT_OF_ORDER in the environment, else the project's settings; off by default. */
export function flywayOutOfOrder(root: string, host: ProjectHost, env: NodeJS.ProcessEnv): boolean {
  const value = env.FLYWAY_OUT_OF_ORDER ?? flywaySettings(root, host).get('flyway.outOfOrder');
  return value?.trim().toLowerCase() === 'true';
}

/** `key=value` lines of a flyway.conf (comments and blank lines skipped). */
function confSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([^#!=\s][^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) out.set(m[1], m[2]);
  }
  return out;
}

/** The `[flyway]` and `[flyway.placeholders]` tables of a flyway.toml, as flyway.conf keys. */
function tomlSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let table = '';
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      table = header[1].trim();
      continue;
    }
    const m = /^\s*([A-Za-z0-9_.-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^#\s]+))/.exec(line);
    if (!m || (table !== 'flyway' && table !== 'flyway.placeholders')) continue;
    out.set(`${table}.${m[1]}`, m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? m[4]));
  }
  return out;
}

export type Substituted = { text: string; toOriginal: (offset: number) => number } | { missing: string; offset: number };

/**
 * `text` with its placeholders replaced, or the first one that has no value (with its offset in
 * `text`). `file` gives `flyway:filename`; `session` the values that need the database.
 */
export function substitutePlaceholders(text: string, format: FormatId, values: ReadonlyMap<string, string>, extra: ReadonlyMap<string, string>): Substituted {
  let missing: { missing: string; offset: number } | undefined;
  // Each substitution: where its value starts and ends in the output, and where the placeholder was.
  const replaced: { outStart: number; outEnd: number; start: number; end: number }[] = [];
  let delta = 0;
  const out = text.replace(PLACEHOLDER, (whole, name: string, offset: number) => {
    if (missing) return whole;
    const value = valueOf(name, format, values, extra);
    if (value === undefined) {
      missing = { missing: name, offset };
      return whole;
    }
    replaced.push({ outStart: offset + delta, outEnd: offset + delta + value.length, start: offset, end: offset + whole.length });
    delta += value.length - whole.length;
    return value;
  });
  if (missing) return missing;
  // An offset in the output, back in `text`: inside a value, the placeholder's start; after one, shifted back.
  const toOriginal = (offset: number) => {
    let shift = 0;
    for (const r of replaced) {
      if (offset < r.outStart) break;
      if (offset < r.outEnd) return r.start;
      shift = r.end - r.outEnd;
    }
    return offset + shift;
  };
  return { text: out, toOriginal };
}

function valueOf(name: string, format: FormatId, values: ReadonlyMap<string, string>, extra: ReadonlyMap<string, string>): string | undefined {
  if (format === 'goose') {
    // ${VAR:-default}: the default when VAR is unset or empty; ${VAR-default}: when it is unset.
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)(.*))?$/.exec(name);
    if (!m) return undefined;
    const value = values.get(m[1]);
    if (m[2] === ':-') return value ? value : m[3];
    if (m[2] === '-') return value ?? m[3];
    return value;
  }
  return extra.get(name) ?? values.get(name) ?? (name.startsWith('flyway:') ? undefined : values.get(name.toLowerCase()));
}

/** The built-ins that depend on the file and the time of the run (Flyway). */
export function fileValues(file: string, now = new Date()): Map<string, string> {
  const pad = (n: number) => String(n).padStart(2, '0');
  const timestamp = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`;
  return new Map([
    ['flyway:filename', path.basename(file)],
    ['flyway:timestamp', timestamp],
  ]);
}
