// `.zdm.json`: one project file, found by walking up from the linted file, read the same way by the
// CLI and the language server. Reading is lenient: a typo or a bad value is reported (with the key
// and a suggestion) and the default is used; linting never stops because of the config.

import * as path from 'node:path';
import { LineIndex, type Span } from '../text/offsets';
import { findNodeAtLocation, getNodeValue, parseTree, printParseErrorCode, type Node as JsonNode, type ParseError } from 'jsonc-parser';
import type { ProjectHost } from '../host';
import { FORMAT_IDS, type FormatId, SEVERITIES, type Severity } from '../model';

export const CONFIG_FILE_NAME = '.zdm.json';

export type RuleLevel = Severity | 'off';

export interface RuleSetting {
  level?: RuleLevel;
  options: Record<string, unknown>;
}

export interface ZdmConfig {
  /** The migration format; detected per file when absent. */
  format?: FormatId;
  /** Folders holding migrations, relative to the config file. */
  migrationsDir: string[];
  /** Target PostgreSQL major version. */
  pgVersion: number;
  rules: Record<string, RuleSetting>;
  /** Migrations at or before this version are not linted unless asked. */
  baseline?: string;
  assumeInTransaction?: boolean;
  /**
   * golang-migrate run with `x-multi-statement=true` in its database URL: it cuts each file at every
   * `;` and sends each piece alone (formats/golang-migrate-cuts.ts).
   */
  golangMigrate?: { multiStatement?: boolean };
  /** Report a missing down even where the project keeps none. */
  requireDown: boolean;
  /** lock_timeout written by fixes and used by the runner. */
  lockTimeout: string;
  /** statement_timeout written by fixes and used by the runner. */
  statementTimeout: string;
  /** Largest lock_timeout accepted by `lock-timeout-too-long`. */
  maxLockTimeout: string;
  /** The lowest severity that makes `zdm lint` exit 1. */
  failOn: Severity;
  /** Glob patterns (relative to the config file) of files never linted. */
  ignore: string[];
  /** Files larger than this many bytes are reported, not linted. */
  maxFileSize: number;
  database: { url?: string; migrationsTable?: string };
}

export interface ConfigProblem {
  message: string;
  key?: string;
  /** Where in the config file's text: the key (or the first key of `key` that is there), or the JSON error. */
  span?: Span;
}

export interface LoadedConfig {
  config: ZdmConfig;
  /** Absolute path of the config file, when one was found. */
  path?: string;
  /** Folder the config's relative paths are resolved against. */
  root: string;
  problems: ConfigProblem[];
}

export function defaultConfig(): ZdmConfig {
  return {
    migrationsDir: [],
    pgVersion: 14,
    rules: {},
    requireDown: false,
    lockTimeout: '5s',
    statementTimeout: '60s',
    maxLockTimeout: '10s',
    failOn: 'error',
    ignore: [],
    maxFileSize: 20 * 1024 * 1024,
    database: {},
  };
}

const KNOWN_KEYS = [
  '$schema',
  'format',
  'migrationsDir',
  'pgVersion',
  'rules',
  'baseline',
  'assumeInTransaction',
  'golangMigrate',
  'requireDown',
  'lockTimeout',
  'statementTimeout',
  'maxLockTimeout',
  'failOn',
  'ignore',
  'maxFileSize',
  'database',
];

/** Finds `.zdm.json` in `startDir` or an ancestor. */
export function findConfigFile(startDir: string, host: ProjectHost): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, CONFIG_FILE_NAME);
    if (host.fileExists(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Loads the config that applies to files in `startDir` (or the explicit `configPath`). */
export function loadConfig(startDir: string, host: ProjectHost, configPath?: string, knownRules?: readonly string[], ruleOptions?: ReadonlyMap<string, readonly string[]>): LoadedConfig {
  const file = configPath ? path.resolve(configPath) : findConfigFile(startDir, host);
  if (!file) return { config: defaultConfig(), root: path.resolve(startDir), problems: [] };
  const text = host.readFile(file);
  if (text === undefined) {
    return { config: defaultConfig(), path: file, root: path.dirname(file), problems: [{ message: `Cannot read ${file}.` }] };
  }
  const parsed = parseConfigText(text, knownRules, ruleOptions);
  return { ...parsed, path: file, root: path.dirname(file) };
}

/** Parses the text of a config file. Comments and trailing commas are tolerated. */
export function parseConfigText(text: string, knownRules?: readonly string[], ruleOptions?: ReadonlyMap<string, readonly string[]>): { config: ZdmConfig; problems: ConfigProblem[] } {
  const config = defaultConfig();
  const problems: ConfigProblem[] = [];
  // jsonc-parser (VS Code's own reader of settings.json) reads comments and trailing commas and gives
  // every error and node its offset in the text. A byte order mark (an editor's "UTF-8 with BOM") is
  // read as a space, keeping the offsets.
  const errors: ParseError[] = [];
  const tree = parseTree(text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    const { offset, length, error } = errors[0];
    const where = new LineIndex(text).positionAt(offset);
    const what = printParseErrorCode(error).replace(/(?<=[a-z])(?=[A-Z])/g, ' ').toLowerCase();
    problems.push({ message: `${CONFIG_FILE_NAME} is not valid JSON at line ${where.line + 1}, column ${where.character + 1} (${what}); using the defaults.`, span: { start: offset, end: Math.min(offset + Math.max(length, 1), text.length) } });
    return { config, problems };
  }
  // Plain objects, as JSON.parse makes them (getNodeValue's have no prototype).
  const raw: unknown = tree === undefined ? {} : JSON.parse(JSON.stringify(getNodeValue(tree)));
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ message: `${CONFIG_FILE_NAME} must hold a JSON object; using the defaults.`, span: tree && { start: tree.offset, end: tree.offset + tree.length } });
    return { config, problems };
  }
  const obj = raw as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (!KNOWN_KEYS.includes(key)) problems.push({ key, message: `Unknown key "${key}" in ${CONFIG_FILE_NAME}${suggest(key, KNOWN_KEYS)}; it is ignored.` });
  }
  const bad = (key: string, expected: string) => problems.push({ key, message: `"${key}" in ${CONFIG_FILE_NAME} must be ${expected}; using the default.` });

  if (obj.format !== undefined) {
    if (typeof obj.format === 'string' && (FORMAT_IDS as readonly string[]).includes(obj.format)) config.format = obj.format as FormatId;
    else bad('format', `one of ${FORMAT_IDS.join(', ')}`);
  }
  if (obj.migrationsDir !== undefined) {
    const dirs = typeof obj.migrationsDir === 'string' ? [obj.migrationsDir] : obj.migrationsDir;
    if (Array.isArray(dirs) && dirs.every((d) => typeof d === 'string')) config.migrationsDir = dirs as string[];
    else bad('migrationsDir', 'a folder path or an array of them');
  }
  if (obj.pgVersion !== undefined) {
    const v = typeof obj.pgVersion === 'string' ? Number.parseInt(obj.pgVersion, 10) : obj.pgVersion;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 9 && v <= 30) config.pgVersion = v;
    else bad('pgVersion', 'a PostgreSQL major version such as 14');
  }
  if (obj.baseline !== undefined) {
    if (typeof obj.baseline === 'string' || typeof obj.baseline === 'number') config.baseline = String(obj.baseline);
    else bad('baseline', 'a migration version');
  }
  for (const key of ['assumeInTransaction', 'requireDown'] as const) {
    if (obj[key] === undefined) continue;
    if (typeof obj[key] === 'boolean') (config as unknown as Record<string, unknown>)[key] = obj[key];
    else bad(key, 'true or false');
  }
  if (obj.golangMigrate !== undefined) {
    const gm = obj.golangMigrate as Record<string, unknown>;
    if (typeof gm === 'object' && gm !== null && !Array.isArray(gm)) {
      for (const key of Object.keys(gm)) {
        if (key !== 'multiStatement') problems.push({ key: `golangMigrate.${key}`, message: `Unknown key "golangMigrate.${key}" in ${CONFIG_FILE_NAME}${suggest(key, ['multiStatement'])}; it is ignored.` });
      }
      if (gm.multiStatement !== undefined) {
        if (typeof gm.multiStatement === 'boolean') config.golangMigrate = { multiStatement: gm.multiStatement };
        else bad('golangMigrate.multiStatement', 'true or false (true when golang-migrate runs with x-multi-statement=true in its database URL)');
      }
    } else bad('golangMigrate', 'an object such as { "multiStatement": true }');
  }
  for (const key of ['lockTimeout', 'statementTimeout', 'maxLockTimeout'] as const) {
    if (obj[key] === undefined) continue;
    const value = obj[key];
    if ((typeof value === 'string' && parseDuration(value) !== undefined) || typeof value === 'number') config[key] = typeof value === 'number' ? `${value}ms` : value;
    else bad(key, 'a duration such as "5s" or "500ms"');
  }
  if (obj.failOn !== undefined) {
    if (typeof obj.failOn === 'string' && (SEVERITIES as readonly string[]).includes(obj.failOn)) config.failOn = obj.failOn as Severity;
    else bad('failOn', `one of ${SEVERITIES.join(', ')}`);
  }
  if (obj.ignore !== undefined) {
    if (Array.isArray(obj.ignore) && obj.ignore.every((g) => typeof g === 'string')) config.ignore = obj.ignore as string[];
    else bad('ignore', 'an array of glob patterns');
  }
  if (obj.maxFileSize !== undefined) {
    if (typeof obj.maxFileSize === 'number' && obj.maxFileSize > 0) config.maxFileSize = obj.maxFileSize;
    else bad('maxFileSize', 'a positive number of bytes');
  }
  if (obj.database !== undefined) {
    const db = obj.database as Record<string, unknown>;
    if (typeof db === 'object' && db !== null && !Array.isArray(db)) {
      if (typeof db.url === 'string') config.database.url = db.url;
      if (typeof db.migrationsTable === 'string') config.database.migrationsTable = db.migrationsTable;
      for (const key of Object.keys(db)) {
        if (!['url', 'migrationsTable'].includes(key)) problems.push({ key: `database.${key}`, message: `Unknown key "database.${key}" in ${CONFIG_FILE_NAME}; it is ignored.` });
      }
    } else bad('database', 'an object such as { "url": "postgres://localhost/dev" }');
  }
  if (obj.rules !== undefined) {
    if (typeof obj.rules !== 'object' || obj.rules === null || Array.isArray(obj.rules)) bad('rules', 'an object of rule id to level');
    else {
      for (const [id, value] of Object.entries(obj.rules as Record<string, unknown>)) {
        if (knownRules && !knownRules.includes(id)) {
          problems.push({ key: `rules.${id}`, message: `Unknown rule "${id}" in ${CONFIG_FILE_NAME}${suggest(id, knownRules)}; it is ignored.` });
          continue;
        }
        const setting = parseRuleSetting(value);
        if (setting && typeof value === 'object' && value !== null) {
          for (const key of Object.keys(value)) {
            if (!['level', 'severity', 'options'].includes(key)) problems.push({ key: `rules.${id}.${key}`, message: `Unknown key "${key}" in "rules.${id}" in ${CONFIG_FILE_NAME}${suggest(key, ['level', 'options'])}; it is ignored.` });
          }
        }
        if (setting && knownRules) {
          // Options of a rule that has none, or one it does not know (a typo would silently do nothing).
          const known = ruleOptions?.get(id) ?? [];
          for (const option of Object.keys(setting.options)) {
            if (known.includes(option)) continue;
            problems.push({ key: `rules.${id}.options.${option}`, message: known.length === 0 ? `Rule "${id}" has no options ("${option}" in ${CONFIG_FILE_NAME} is ignored).` : `Unknown option "${option}" for rule "${id}" in ${CONFIG_FILE_NAME}${suggest(option, known)}; it is ignored (options: ${known.join(', ')}).` });
          }
        }
        if (setting) config.rules[id] = setting;
        else problems.push({ key: `rules.${id}`, message: `"rules.${id}" in ${CONFIG_FILE_NAME} must be "off", "error", "warning", "info", "hint" or { "level": ..., "options": {...} }; using the rule's default.` });
      }
    }
  }
  for (const p of problems) {
    // The key itself, or the nearest enclosing key the text has.
    for (let key = p.key; key !== undefined && p.span === undefined; key = key.includes('.') ? key.slice(0, key.lastIndexOf('.')) : undefined) p.span = keySpan(tree, key);
  }
  return { config, problems };
}

function parseRuleSetting(value: unknown): RuleSetting | undefined {
  const isLevel = (v: unknown): v is RuleLevel => typeof v === 'string' && (v === 'off' || (SEVERITIES as readonly string[]).includes(v));
  if (isLevel(value)) return { level: value, options: {} };
  if (typeof value === 'boolean') return { level: value ? undefined : 'off', options: {} };
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const level = obj.level ?? obj.severity;
    if (level !== undefined && !isLevel(level)) return undefined;
    const options = typeof obj.options === 'object' && obj.options !== null ? (obj.options as Record<string, unknown>) : {};
    return { level: level as RuleLevel | undefined, options };
  }
  return undefined;
}

/** Parses PostgreSQL-style durations: "5s", "500ms", "1min", "2h", or a bare number of milliseconds. */
export function parseDuration(value: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|h|d)?\s*$/i.exec(value);
  if (!m) return undefined;
  const n = Number.parseFloat(m[1]);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const factor: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };
  return n * factor[unit];
}

/** The span of the key (quotes included) at the dotted path `key` ("rules.require-lock-timeout"), when the text has it. */
function keySpan(tree: JsonNode | undefined, key: string): Span | undefined {
  const property = tree && findNodeAtLocation(tree, key.split('.'))?.parent;
  const name = property?.type === 'property' ? property.children?.[0] : undefined;
  return name && { start: name.offset, end: name.offset + name.length };
}

/** ", did you mean "x"?" when a close match exists. */
export function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}
