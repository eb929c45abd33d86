// The `${name}` placeholders a tool substitutes before it runs a script, substituted the same way by
// zdm's runner (the linter reads them as identifiers: sql/placeholders.ts).
// - Flyway (placeholderReplacement is on by default; off in the project settings, nothing is substituted):
//   `[flyway.placeholders]` in the TOML files, or without one `flyway.placeholders.NAME=value` in the
//   .conf files (flywayConfigFiles says which files, readFlywaySettings reads them),
//   FLYWAY_PLACEHOLDERS_NAME in the environment (which wins), all of them replaced by the selected environment's
//   `[environments.NAME.flyway.placeholders]` in flyway.toml when it has one (flywayPlaceholders), and
//   the built-ins `flyway:defaultSchema`, `flyway:user`,
//   `flyway:database`, `flyway:timestamp`, `flyway:filename`, `flyway:table`, `flyway:workingDirectory`, `flyway:environment`,
//   valued from the settings the runner itself uses (FlywaySettings, read once per command).
// - goose, on the lines from `-- +goose ENVSUB ON` to `OFF`: environment variables, with the expansions
//   goose's interpolation knows (gooseReplacements: defaults, nested ones, `${VAR?message}`, substrings,
//   `$VAR`, and `$$` / `\$` as `$`).
// A placeholder with no value stops the migration before any statement runs, as Flyway stops. goose
// would substitute an empty string for an unset `${VAR}` (only `${VAR?message}` stops it): zdm stops
// there too, a forgotten variable being likelier than a meant empty one, and says so; `${VAR-}` says
// that empty is meant (docs/runner.md, Placeholders).

import * as os from 'node:os';
import * as path from 'node:path';
import type { FormatId, Span } from '../model';
import { readEnvsubLine, type EnvsubExpansion, type EnvsubItem } from '../formats/goose-envsub';
import type { ProjectHost } from '../host';
import { childPath } from '../paths';
import { javaTrim, readFlywayConf } from '../text/java-properties';
import type { Session } from './db';

const PLACEHOLDER = /\$\{([^}"\n]*)\}/g;

/**
 * A project's Flyway settings as the runner uses them, read and parsed once per command
 * (`readFlywaySettings`, called by loadMigrations and carried on the loaded project): the TOML files'
 * tables, or without one the .conf files (flywayConfigFiles: where Flyway looks), with the
 * environment's FLYWAY_* values winning,
 * as they win for Flyway, and the selected environment's `[environments.NAME.flyway]` table winning
 * over all of them (flywayOverride). Everything that depends on them (the history table, the managed
 * schema, the placeholders and their built-ins, outOfOrder) reads this one object, so the table the
 * runner writes and `${flyway:table}` cannot disagree.
 */
export interface FlywaySettings {
  /** `flyway.placeholders.NAME` / FLYWAY_PLACEHOLDERS_NAME (the variable wins); the selected environment's `[environments.NAME.flyway.placeholders]` instead, when it has one. */
  placeholders: Map<string, string>;
  /** The history table's name when set (`[environments.NAME.flyway]` table / FLYWAY_TABLE / `flyway.table`), trimmed. */
  table?: string;
  /** The environment's override / FLYWAY_DEFAULT_SCHEMA / `flyway.defaultSchema`, else the first of FLYWAY_SCHEMAS / `flyway.schemas`, trimmed. */
  schema?: string;
  /**
   * Every schema Flyway manages: the default schema, then the others of FLYWAY_SCHEMAS / `flyway.schemas`
   * / flyway.toml's `schemas` of the environment in use (none set: empty, the session's current schema).
   */
  schemas: string[];
  /** `createSchemas` (FLYWAY_CREATE_SCHEMAS): on unless false. */
  createSchemas: boolean;
  /** `placeholderReplacement` (FLYWAY_PLACEHOLDER_REPLACEMENT): on unless false. */
  placeholderReplacement: boolean;
  /** `outOfOrder` (FLYWAY_OUT_OF_ORDER): off unless true. */
  outOfOrder: boolean;
  /** `target` (FLYWAY_TARGET), trimmed, when set: the version `flyway migrate` stops at (`latest` unless set). */
  target?: string;
  /** Where target comes from, for messages. */
  targetFrom?: string;
  /** `validateOnMigrate` (FLYWAY_VALIDATE_ON_MIGRATE): on unless false. Off, `migrate` runs no validation (plan.ts flywayValidation). */
  validateOnMigrate: boolean;
  /**
   * `ignoreMigrationPatterns` (FLYWAY_IGNORE_MIGRATION_PATTERNS), `type:state` pairs: the migrations in
   * those states that Flyway's validation lets pass. Flyway's default, `*:future`, when unset; a value
   * replaces it (so `*:missing` alone no longer lets a future migration pass, as in Flyway).
   */
  ignoreMigrationPatterns: FlywayPattern[];
  /** `baselineVersion` (FLYWAY_BASELINE_VERSION), trimmed, when set (Flyway's default: 1). */
  baselineVersion?: string;
  /** Where baselineVersion comes from, for messages: `baselineVersion in flyway.toml`, `FLYWAY_BASELINE_VERSION`... */
  baselineVersionFrom?: string;
  /** `baselineDescription` (FLYWAY_BASELINE_DESCRIPTION), when set (Flyway's default: << Flyway Baseline >>). */
  baselineDescription?: string;
  /** `baselineOnMigrate` (FLYWAY_BASELINE_ON_MIGRATE): off unless true. */
  baselineOnMigrate: boolean;
  /** The flyway.toml environment in use (`flyway.environment` / flyway_environment; `default` unless set): `${flyway:environment}`. */
  environment: string;
  /** What is wrong with the configuration files (flywayConfigFiles); loadMigrations reports them, an error stopping the command. */
  problems: FlywaySettingsProblem[];
}

/** One of Flyway's ignoreMigrationPatterns (ValidatePattern): `versioned`, `repeatable` or `*`, and `missing`, `pending`, `ignored`, `future` or `*`. */
export interface FlywayPattern {
  type: '*' | 'versioned' | 'repeatable';
  state: '*' | 'missing' | 'pending' | 'ignored' | 'future';
}

/**
 * `ignoreMigrationPatterns` as Flyway reads it: comma-separated, each trimmed (empty ones dropped), each
 * `type:state` read case-insensitively; a pattern Flyway refuses gives its message instead (Flyway stops
 * the command with it).
 */
export function parseFlywayPatterns(value: string): { patterns: FlywayPattern[]; error?: string } {
  const patterns: FlywayPattern[] = [];
  for (const pattern of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    // Java's split drops trailing empty parts: `*:` is one part, refused as Flyway refuses it.
    const parts = pattern.split(':');
    while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    if (parts.length !== 2) return { patterns, error: `Invalid pattern '${pattern}'. Pattern must be of the form <migration_type>:<migration_state>` };
    const type = parts[0].trim().toLowerCase();
    const state = parts[1].trim().toLowerCase();
    if (type !== '*' && type !== 'versioned' && type !== 'repeatable') return { patterns, error: `Invalid migration type '${parts[0]}'. Valid types are: [*, repeatable, versioned]` };
    if (state !== '*' && state !== 'missing' && state !== 'pending' && state !== 'ignored' && state !== 'future') return { patterns, error: `Invalid migration state '${parts[1]}'. Valid states are: [*, missing, pending, ignored, future]` };
    patterns.push({ type, state });
  }
  return { patterns };
}

/** What is wrong with the project's Flyway configuration files, as loadMigrations reports it (an error stops the command). */
export interface FlywaySettingsProblem {
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

/**
 * The Flyway configuration files of the project at `root`, in the order Flyway reads them (a later
 * file wins key by key), and which kind Flyway reads: TOML ("modern configuration mode") or .conf
 * ("legacy"), never both (flyway-commandline's ConfigurationManagerImpl.useModernConfig,
 * ConfigUtils.getDefaultTomlConfigFileLocations / getDefaultLegacyConfigurationFiles):
 * - TOML: `{installDir}/conf/flyway.toml` and its `flyway.user.toml`, then the same two in the user's
 *   home folder, then in the folder Flyway runs from, then the `.toml` files FLYWAY_CONFIG_FILES lists.
 * - .conf: `{installDir}/conf/flyway.conf`, `{userhome}/flyway.conf`, the running folder's
 *   `flyway.conf`, then the other files FLYWAY_CONFIG_FILES lists.
 * The project root stands for the folder Flyway runs from and `{root}/conf` for its install folder's
 * `conf` (where Flyway's Docker image reads a mounted configuration); FLYWAY_CONFIG_FILES' relative
 * paths are the root's. Which kind: the one FLYWAY_CONFIG_FILES lists when it lists files (both kinds:
 * an error, as Flyway stops), else TOML when any of the default TOML files exists, else .conf.
 * A .conf file FLYWAY_CONFIG_FILES lists that does not exist is an error (Flyway: "Unable to read
 * config file"); a missing listed TOML file, which Flyway skips, a warning.
 */
export function flywayConfigFiles(root: string, host: ProjectHost, env: NodeJS.ProcessEnv): { modern: boolean; files: { path: string; text: string }[]; problems: FlywaySettingsProblem[] } {
  const home = env.HOME || env.USERPROFILE || os.homedir();
  const places = [childPath(root, 'conf'), home, root].filter((dir, i, all) => all.findIndex((d) => path.resolve(d) === path.resolve(dir)) === i);
  const listed = (env.FLYWAY_CONFIG_FILES ?? '').split(',').map((f) => f.trim()).filter((f) => f !== '').map((f) => path.resolve(root, f));
  const listedToml = listed.filter((f) => f.endsWith('.toml'));
  const listedConf = listed.filter((f) => !f.endsWith('.toml'));
  const problems: FlywaySettingsProblem[] = [];
  const texts = new Map<string, string | undefined>();
  const read = (file: string) => {
    if (!texts.has(file)) texts.set(file, host.readFile(file));
    return texts.get(file);
  };
  const defaultToml = places.flatMap((dir) => [childPath(dir, 'flyway.toml'), childPath(dir, 'flyway.user.toml')]);
  let modern: boolean;
  if (listedToml.length > 0 && listedConf.length > 0) {
    problems.push({ path: root, message: `FLYWAY_CONFIG_FILES lists both TOML and .conf files (${listed.map((f) => shownPath(root, f)).join(', ')}); Flyway reads one kind, never both ("Using both TOML configuration and CONF configuration is not supported").`, severity: 'error' });
    modern = true;
  } else if (listed.length > 0) modern = listedToml.length > 0;
  else modern = defaultToml.some((f) => read(f) !== undefined);
  const candidates = modern ? [...defaultToml, ...listedToml] : [...places.map((dir) => childPath(dir, 'flyway.conf')), ...listedConf];
  const files: { path: string; text: string }[] = [];
  for (const file of candidates) {
    const text = read(file);
    if (text !== undefined) files.push({ path: file, text });
    else if (listed.includes(file)) {
      problems.push(
        modern
          ? { path: file, message: `FLYWAY_CONFIG_FILES lists ${shownPath(root, file)}, which does not exist; it is skipped, as Flyway skips it.`, severity: 'warning' }
          : { path: file, message: `FLYWAY_CONFIG_FILES lists ${shownPath(root, file)}, which does not exist (Flyway stops: "Unable to read config file").`, severity: 'error' },
      );
    }
  }
  return { modern, files, problems };
}

/** A file as messages name it: relative to the project root when inside it, else in full. */
function shownPath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** Reads the project's Flyway settings (once per command: see FlywaySettings). */
export function readFlywaySettings(root: string, host: ProjectHost, env: NodeJS.ProcessEnv): FlywaySettings {
  const found = flywayConfigFiles(root, host, env);
  // The value of each key, and the file it came from (the last one that sets it).
  const file = new Map<string, string>();
  const origin = new Map<string, string>();
  for (const { path: at, text } of found.files) {
    for (const [k, v] of found.modern ? tomlSettings(text) : readFlywayConf(text, env)) {
      file.set(k, v);
      origin.set(k, at);
    }
  }
  // Flyway 10's flyway.toml keeps `schemas` with the connection, in the environment `flyway.environment`
  // names ("default" unless set; its variable is lower-case: flyway_environment).
  const environment = (env.flyway_environment ?? file.get('flyway.environment'))?.trim() || 'default';
  const lookup = flywayOverride(file, env, environment);
  const setting = (envName: string, key: string) => lookup(envName, key)?.value;
  // Where a setting's value comes from, for messages about it: the variable, or the file and its table.
  const settingOrigin = (envName: string, key: string): string | undefined => {
    const source = lookup(envName, key)?.source;
    if (source === undefined || source === envName) return source;
    const at = shownPath(root, origin.get(source)!);
    if (source.startsWith('environments.')) return `[environments.${environment}.flyway] ${key} in ${at}`;
    return `${found.modern ? key : source} in ${at}`;
  };
  const flag = (envName: string, key: string) => setting(envName, key)?.trim().toLowerCase();
  const listed = ((env.FLYWAY_SCHEMAS ?? file.get('flyway.schemas') ?? file.get(`environments.${environment}.schemas`)) ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const schema = setting('FLYWAY_DEFAULT_SCHEMA', 'defaultSchema')?.trim() || listed[0];
  const problems = [...found.problems];
  const patterns = parseFlywayPatterns(setting('FLYWAY_IGNORE_MIGRATION_PATTERNS', 'ignoreMigrationPatterns') ?? '*:future');
  if (patterns.error) {
    const from = settingOrigin('FLYWAY_IGNORE_MIGRATION_PATTERNS', 'ignoreMigrationPatterns');
    problems.push({ path: root, message: `${patterns.error} (ignoreMigrationPatterns, from ${from}); Flyway stops on it too.`, severity: 'error' });
  }
  return {
    placeholders: flywayPlaceholders(file, env, environment),
    table: setting('FLYWAY_TABLE', 'table')?.trim() || undefined,
    schema,
    schemas: schema === undefined ? [] : [schema, ...listed.filter((name) => name !== schema)],
    createSchemas: flag('FLYWAY_CREATE_SCHEMAS', 'createSchemas') !== 'false',
    placeholderReplacement: flag('FLYWAY_PLACEHOLDER_REPLACEMENT', 'placeholderReplacement') !== 'false',
    outOfOrder: flag('FLYWAY_OUT_OF_ORDER', 'outOfOrder') === 'true',
    target: setting('FLYWAY_TARGET', 'target')?.trim() || undefined,
    targetFrom: settingOrigin('FLYWAY_TARGET', 'target'),
    validateOnMigrate: flag('FLYWAY_VALIDATE_ON_MIGRATE', 'validateOnMigrate') !== 'false',
    ignoreMigrationPatterns: patterns.patterns,
    baselineVersion: setting('FLYWAY_BASELINE_VERSION', 'baselineVersion')?.trim() || undefined,
    baselineVersionFrom: settingOrigin('FLYWAY_BASELINE_VERSION', 'baselineVersion'),
    baselineDescription: setting('FLYWAY_BASELINE_DESCRIPTION', 'baselineDescription') || undefined,
    baselineOnMigrate: flag('FLYWAY_BASELINE_ON_MIGRATE', 'baselineOnMigrate') === 'true',
    environment,
    problems,
  };
}

/**
 * How a Flyway setting (`table`, `outOfOrder`...) is valued, and where from: the selected environment's
 * `[environments.NAME.flyway]` table of flyway.toml first, then the FLYWAY_* variable, then `flyway.KEY`
 * (the TOML files' [flyway], or without them flyway.conf's). The override wins over the variable too, as in Flyway
 * 10/11: ClassicConfiguration's getters (getTable, getDefaultSchema, isOutOfOrder, isCreateSchemas,
 * isPlaceholderReplacement, getBaselineVersion/Description, isBaselineOnMigrate; getLocations too, but
 * zdm reads no `locations`: the migrations folder is --dir / .zdm.json's) read
 * `getEnvironmentOverrides()` (the current environment's FlywayEnvironmentModel) before
 * `getModernFlyway()`, the [flyway] model into which TomlUtils.loadConfigurationFromEnvironment has
 * already merged FLYWAY_TABLE & co. (flyway/flyway, flyway-core ClassicConfiguration.java,
 * FlywayEnvironmentModel.java). Redgate's "Environment Flyway Namespace" page: every [flyway] setting can
 * be overridden per environment except those of child namespaces (flyway.oracle...), and the overrides
 * have no environment variables of their own. An environment that is not selected, or not defined, changes nothing.
 */
function flywayOverride(file: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, environment: string): (envName: string, key: string) => { value: string; source: string } | undefined {
  return (envName, key) => {
    // `source`: the key of `file`, or the variable's name, the value was taken from.
    for (const source of [`environments.${environment}.flyway.${key}`, envName, `flyway.${key}`]) {
      const value = source === envName ? env[envName] : file.get(source);
      if (value !== undefined) return { value, source };
    }
    return undefined;
  };
}

/**
 * `flyway.placeholders.NAME` with FLYWAY_PLACEHOLDERS_NAME winning; but when the selected environment
 * has its own `[environments.NAME.flyway.placeholders]` table, that table alone, as Flyway's
 * getPlaceholders() returns the override's map whole when it has one (not merged key by key: a
 * placeholder it does not name has no value, FLYWAY_PLACEHOLDERS_* included).
 */
function flywayPlaceholders(file: ReadonlyMap<string, string>, env: NodeJS.ProcessEnv, environment: string): Map<string, string> {
  const own = `environments.${environment}.flyway.placeholders`;
  const mine = [...file].filter(([k]) => k.startsWith(`${own}.`));
  if (mine.length > 0 || file.has(own)) return new Map(mine.map(([k, v]) => [k.slice(own.length + 1), v]));
  const placeholders = new Map<string, string>();
  for (const [k, v] of file) if (k.startsWith('flyway.placeholders.')) placeholders.set(k.slice('flyway.placeholders.'.length), v);
  for (const [k, v] of Object.entries(env)) if (k.startsWith('FLYWAY_PLACEHOLDERS_') && v !== undefined) placeholders.set(k.slice('FLYWAY_PLACEHOLDERS_'.length).toLowerCase(), v);
  return placeholders;
}

/**
 * Values known when the project is loaded. goose: the environment. Flyway: the project's placeholders
 * and the built-ins that do not need the session, from the values the runner itself uses (Flyway's
 * documented built-ins, "Placeholders" in its docs): `flyway:table` is the history table's name (the
 * one in `.zdm.json`'s database.migrationsTable when set, as the runner writes there),
 * `flyway:defaultSchema` the schema the project configures (without one, the session's current schema,
 * filled in by sessionPlaceholderValues), `flyway:workingDirectory` the folder the command runs from,
 * `flyway:environment` the flyway.toml environment in use (`default` unless one is selected).
 */
export function placeholderValues(format: FormatId, env: NodeJS.ProcessEnv, flyway: FlywaySettings | undefined, runner: { migrationsTable?: string; cwd?: string } = {}): Map<string, string> {
  const values = new Map<string, string>();
  if (format === 'goose') {
    for (const [k, v] of Object.entries(env)) if (v !== undefined) values.set(k, v);
    return values;
  }
  if (format !== 'flyway' || !flyway) return values;
  for (const [k, v] of flyway.placeholders) values.set(k, v);
  const configured = runner.migrationsTable !== undefined ? splitName(runner.migrationsTable) : undefined;
  values.set('flyway:table', configured?.table ?? flyway.table ?? 'flyway_schema_history');
  const schema = flyway.schema ?? configured?.schema;
  if (schema) values.set('flyway:defaultSchema', schema);
  if (runner.cwd) values.set('flyway:workingDirectory', runner.cwd);
  values.set('flyway:environment', flyway.environment);
  return values;
}

/** `schema.table` / `"schema"."table"` as its parts, unquoted. */
function splitName(name: string): { schema?: string; table: string } {
  const parts = name.match(/"(?:[^"]|"")*"|[^.]+/g)?.map((p) => (p.startsWith('"') ? p.slice(1, -1).replace(/""/g, '"') : p.trim())) ?? [name];
  return parts.length > 1 ? { schema: parts[parts.length - 2], table: parts[parts.length - 1] } : { table: parts[0] };
}

/** The Flyway built-ins that come from the session (`flyway:user`, `flyway:database`, and `flyway:defaultSchema` when the project sets no schema), read only when one of `texts` uses them. */
export async function sessionPlaceholderValues(session: Session, texts: readonly string[], values: ReadonlyMap<string, string>): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const needsSchema = !values.has('flyway:defaultSchema');
  if (!texts.some((t) => t.includes('${flyway:user}') || t.includes('${flyway:database}') || (needsSchema && t.includes('${flyway:defaultSchema}')))) return out;
  const [row] = await session.query<{ u: string; d: string; s: string | null }>('SELECT current_user AS u, current_database() AS d, current_schema() AS s');
  out.set('flyway:user', row.u).set('flyway:database', row.d);
  if (needsSchema && row.s) out.set('flyway:defaultSchema', row.s);
  return out;
}

/**
 * Flyway's schema history table as the project configures it (`flyway.table`, in the schema
 * `flyway.defaultSchema`, else the first of `flyway.schemas`; FLYWAY_TABLE, FLYWAY_DEFAULT_SCHEMA and
 * FLYWAY_SCHEMAS in the environment win), written `"schema"."table"`; undefined when the project sets
 * none of them (the default table, found through search_path).
 */
export function flywayHistoryTable(settings: FlywaySettings): string | undefined {
  if (!settings.table && !settings.schema) return undefined;
  const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;
  const name = quote(settings.table ?? 'flyway_schema_history');
  return settings.schema ? `${quote(settings.schema)}.${name}` : name;
}

/**
 * The schema Flyway manages when the project names one (FLYWAY_DEFAULT_SCHEMA, `flyway.defaultSchema`,
 * else the first of FLYWAY_SCHEMAS / `flyway.schemas`): Flyway creates it when missing (unless
 * `createSchemas` is false) and puts it first on the session's search_path while it migrates.
 */
export function flywaySchema(settings: FlywaySettings): { schema: string; create: boolean } | undefined {
  return settings.schema ? { schema: settings.schema, create: settings.createSchemas } : undefined;
}

/**
 * The `[flyway]`, `[flyway.placeholders]`, `[environments.NAME]`, `[environments.NAME.flyway]` and
 * `[environments.NAME.flyway.placeholders]` tables of a flyway.toml, as flyway.conf-like keys
 * (`environments.NAME.schemas`, `environments.NAME.flyway.table`). An environment's placeholders table
 * is also kept as a key of its own (empty value), since even an empty one replaces the [flyway] ones
 * (flywayPlaceholders). An array of strings (`schemas = ["app", "audit"]`, on one line or several)
 * becomes the comma-separated list flyway.conf writes; a value that is neither a string, a list nor a
 * bare word is left out.
 */
function tomlSettings(text: string): Map<string, string> {
  const out = new Map<string, string>();
  // [flyway], [flyway.placeholders], each environment's own table ([environments.default]) and its
  // Flyway overrides ([environments.default.flyway], [environments.default.flyway.placeholders]).
  const wanted = (table: string) => table === 'flyway' || table === 'flyway.placeholders' || /^environments\.[^.]+(?:\.flyway(?:\.placeholders)?)?$/.test(table);
  let table = '';
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      table = header[1].trim();
      if (/^environments\.[^.]+\.flyway\.placeholders$/.test(table)) out.set(table, '');
      continue;
    }
    const key = /^\s*([A-Za-z0-9_.-]+)\s*=\s*/.exec(line);
    if (!key) continue;
    const rest = line.slice(key[0].length);
    if (rest.startsWith('[')) {
      // Up to the closing bracket, which may be lines below (strings hold no `]` in these settings' values).
      let list = rest;
      while (!/\]/.test(list.replace(/"(?:[^"\\]|\\.)*"|'[^']*'|#[^\n]*/g, '')) && i + 1 < lines.length) list += '\n' + lines[++i];
      if (wanted(table)) {
        // The strings, not what a comment holds.
        const items = [...list.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|#[^\n]*/g)].filter((v) => !v[0].startsWith('#')).map((v) => (v[1] !== undefined ? v[1].replace(/\\(.)/g, '$1') : v[2]));
        out.set(`${table}.${key[1]}`, items.join(','));
      }
      continue;
    }
    if (!wanted(table)) continue;
    const m = /^(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^#\s\[{]+))/.exec(rest);
    if (!m) continue;
    out.set(`${table}.${key[1]}`, m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? m[3]));
  }
  return out;
}

export type Substituted = { text: string; toOriginal: (offset: number) => number } | { missing: string; offset: number; message: string };

/**
 * `text` with its Flyway placeholders replaced, or the first one that has no value (with its offset in
 * `text`, and the message saying why nothing runs and what to do). `extra`: the values of this file
 * and session (`flyway:filename`, `flyway:user`...). goose's are replaced by gooseReplacements.
 */
export function substitutePlaceholders(text: string, values: ReadonlyMap<string, string>, extra: ReadonlyMap<string, string>): Substituted {
  let missing: { missing: string; offset: number; message: string } | undefined;
  // Each substitution: where its value starts and ends in the output, and where the placeholder was.
  const replaced: { outStart: number; outEnd: number; start: number; end: number }[] = [];
  let delta = 0;
  const out = text.replace(PLACEHOLDER, (whole, name: string, offset: number) => {
    if (missing) return whole;
    const value = flywayValue(name, values, extra);
    if (typeof value !== 'string') {
      missing = { missing: name, offset, message: value.message };
      return whole;
    }
    replaced.push({ outStart: offset + delta, outEnd: offset + delta + value.length, start: offset, end: offset + whole.length });
    delta += value.length - whole.length;
    return value;
  });
  if (missing) return missing;
  return { text: out, toOriginal: originalOffsets(replaced) };
}

function flywayValue(name: string, values: ReadonlyMap<string, string>, extra: ReadonlyMap<string, string>): string | { message: string } {
  const value = extra.get(name) ?? values.get(name) ?? (name.startsWith('flyway:') ? undefined : values.get(name.toLowerCase()));
  if (value !== undefined) return value;
  // Flyway stops the same way: "No value provided for placeholder: ${name}".
  const environment = values.get('flyway:environment') ?? 'default';
  return {
    message: `No value for the placeholder \${${name}}: nothing was run. To give it one, set flyway.placeholders.${name} in flyway.conf (or [flyway.placeholders] in flyway.toml), or the environment variable FLYWAY_PLACEHOLDERS_${name.toUpperCase()}; or, when flyway.toml has an [environments.${environment}.flyway.placeholders] table (it replaces those for the environment ${environment}), in that table.`,
  };
}

/** Where a line of a goose migration is substituted: its span in the file and what goose writes there. */
export interface Replacement {
  start: number;
  end: number;
  value: string;
}

/** The lines goose substitutes in (formats/goose-envsub.ts): those of the running section, and the others of the file. */
export interface GooseEnvsub {
  lines: readonly Span[];
  elsewhere: readonly Span[];
}

type Stop = { missing: string; offset: number; message: string };

/**
 * goose's ENVSUB on the lines it substitutes, read as its interpolation (github.com/mfridman/interpolate)
 * reads them (formats/goose-envsub.ts): what each `${...}`, `$VAR`, `$$` and `\$` of the running
 * section becomes, or the first placeholder that stops the run. `${VAR:-word}` (word when VAR is unset or
 * empty), `${VAR-word}` (when unset), whose word may hold further expansions (`${A:-${B}}`, read only
 * when needed); `${VAR?message}` (goose stops when VAR is unset, on a line of either direction, since it
 * substitutes the whole file); `${VAR:offset}` and `${VAR:offset:length}` (bytes, as goose counts; a
 * negative offset, written after a space, counts from the end). Where goose substitutes an empty string
 * for an unset `${VAR}`, zdm stops (see the top of this file); `${VAR-}` is how a migration says that
 * empty is meant. Lines goose cannot read at all are format problems that stop the run before this.
 */
export function gooseReplacements(fileText: string, envsub: GooseEnvsub, values: ReadonlyMap<string, string>): { replacements: Replacement[] } | Stop {
  const replacements: Replacement[] = [];
  const lines = [...envsub.lines.map((span) => ({ span, running: true })), ...envsub.elsewhere.map((span) => ({ span, running: false }))].sort((a, b) => a.span.start - b.span.start);
  for (const { span, running } of lines) {
    const read = readEnvsubLine(fileText, span);
    if (!('items' in read)) continue;
    for (const item of read.items) {
      if (item.kind === 'text') continue;
      const value = item.kind === 'escape' ? '$' : gooseExpansion(fileText, item, values, running);
      if (typeof value !== 'string') {
        if (!running) value.message += ' goose substitutes the lines of both directions when it reads the file, so it stops whichever direction runs.';
        return value;
      }
      if (running) replacements.push({ start: item.start, end: item.end, value });
    }
  }
  return { replacements };
}

function gooseExpansion(fileText: string, item: EnvsubExpansion, values: ReadonlyMap<string, string>, running: boolean): string | Stop {
  const written = fileText.slice(item.start, item.end);
  const words = (content: readonly EnvsubItem[] | undefined): string | Stop => {
    let out = '';
    for (const part of content ?? []) {
      const value = part.kind === 'text' ? fileText.slice(part.start, part.end) : part.kind === 'escape' ? '$' : gooseExpansion(fileText, part, values, running);
      if (typeof value !== 'string') return value;
      out += value;
    }
    return out;
  };
  const variable = item.name;
  const value = values.get(variable);
  const set = `Set the environment variable ${variable} (the line is under -- +goose ENVSUB ON)`;
  if (item.operator === ':-') return value ? value : words(item.content);
  if (item.operator === '-') return value ?? words(item.content);
  if (item.operator === '?') {
    if (value !== undefined) return value;
    const message = words(item.content);
    if (typeof message !== 'string') return message;
    return { missing: written, offset: item.start, message: `No value for the placeholder ${written}: ${variable} is not set${message ? ` (${message})` : ''}, and goose stops here too ("variable substitution failed"): nothing was run. ${set}.` };
  }
  if (value === undefined) {
    if (!running) return '';
    return {
      missing: written,
      offset: item.start,
      message: `No value for the placeholder ${written}: nothing was run. goose would substitute an empty string for an unset variable; zdm stops instead, an empty name or value being far more often a variable forgotten than meant. ${set}, or write \${${variable}-} where an empty value is meant.`,
    };
  }
  if (item.operator !== ':') return value;
  // goose counts bytes (Go strings): out of range, the offset and length are cut to the value.
  const bytes = Buffer.from(value, 'utf8');
  const from = Math.min(Math.max(item.offset! < 0 ? item.offset! + bytes.length : item.offset!, 0), bytes.length);
  if (item.length === undefined) return bytes.subarray(from).toString('utf8');
  const to = Math.min(item.length >= 0 ? from + item.length : Math.max(from, bytes.length + item.length), bytes.length);
  return bytes.subarray(from, to).toString('utf8');
}

/** The statement `text` (starting at `base` in the file) with the replacements inside it made, and the way back to offsets as written. */
export function replaceInStatement(text: string, base: number, replacements: readonly Replacement[]): { text: string; toOriginal: (offset: number) => number } {
  const mapped: { outStart: number; outEnd: number; start: number; end: number }[] = [];
  let out = '';
  let last = 0;
  for (const r of replacements) {
    const start = r.start - base;
    const end = r.end - base;
    if (start < last || end > text.length) continue;
    out += text.slice(last, start);
    mapped.push({ outStart: out.length, outEnd: out.length + r.value.length, start, end });
    out += r.value;
    last = end;
  }
  out += text.slice(last);
  return { text: out, toOriginal: originalOffsets(mapped) };
}

/** An offset in the output, back in the text as written: inside a value, the placeholder's start; after one, shifted back. */
export function originalOffsets(replaced: readonly { outStart: number; outEnd: number; start: number; end: number }[]): (offset: number) => number {
  return (offset: number) => {
    let shift = 0;
    for (const r of replaced) {
      if (offset < r.outStart) break;
      if (offset < r.outEnd) return r.start;
      shift = r.end - r.outEnd;
    }
    return offset + shift;
  };
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

/**
 * A script configuration file's `shouldExecute` with its placeholders replaced, evaluated as Flyway's
 * BooleanEvaluator evaluates it: `true` / `false` (any case), `A==B` and `A!=B` comparing the trimmed
 * texts (case matters), `&&` and `||` (an expression holding `&&` is cut there first, so `&&` binds
 * looser than `||`), parentheses first, innermost first. What Flyway cannot read gives its message.
 */
export function evaluateFlywayBoolean(expression: string): boolean | { error: string } {
  try {
    return flywayBoolean(expression);
  } catch (error) {
    if (error instanceof FlywayExpressionError) return { error: error.message };
    throw error;
  }
}

class FlywayExpressionError extends Error {}

function flywayBoolean(expression: string): boolean {
  while (expression.includes('(')) {
    const inner = innermostBrackets(expression);
    expression = expression.split(`(${inner})`).join(flywayBoolean(inner) ? 'true' : 'false');
  }
  const trimmed = javaTrim(expression).toLowerCase();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (expression.includes('&&')) return javaSplit(expression, '&&').every((part) => flywayBoolean(part));
  if (expression.includes('||')) return javaSplit(expression, '||').some((part) => flywayBoolean(part));
  if (expression.includes('!=')) return !sameOperands('!=', expression);
  if (expression.includes('==')) return sameOperands('==', expression);
  throw new FlywayExpressionError(`Unable to parse expression: ${expression}`);
}

function innermostBrackets(expression: string): string {
  let open = -1;
  for (let i = 0; i < expression.length; i++) {
    if (expression[i] === '(') open = i + 1;
    if (expression[i] === ')') {
      if (open === -1) throw new FlywayExpressionError(`Unable to parse expression: ${expression} - unexpected )`);
      return expression.slice(open, i);
    }
  }
  throw new FlywayExpressionError(`Unable to parse expression: ${expression} - unexpected (`);
}

function sameOperands(operator: string, expression: string): boolean {
  const operands = javaSplit(expression, operator);
  if (operands.length !== 2) throw new FlywayExpressionError(`Invalid boolean expression '${expression}'. `);
  return javaTrim(operands[0]) === javaTrim(operands[1]);
}

/** Java's String.split on a literal separator: trailing empty parts dropped. */
function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
