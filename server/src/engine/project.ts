// Linting files of a project: the config that applies to each file (cached per folder), the
// `ignore` globs, and reading files from disk with a clear finding for text that is not UTF-8.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUtf8 } from 'node:buffer';
import picomatch from 'picomatch';
import { CONFIG_FILE_NAME, defaultConfig, loadConfig, type LoadedConfig, type ZdmConfig } from './config/config';
import { describeMigration, FORMATS, looksLikeMigrationPath } from './formats/index';
import type { DiskHost, ProjectHost } from './host';
import { lintText } from './lint';
import type { LintResult } from './model';
import { childPath, dirnameOf, resolvedPath } from './paths';
import { ruleIds, ruleOptions } from './rules/registry';
import { lineNumberAt } from './text/offsets';

export class ConfigCache {
  private readonly byDir = new Map<string, LoadedConfig>();
  /** Configs by file path: one object per config file, so its problems are reported once. */
  private readonly byFile = new Map<string, LoadedConfig>();
  /** The config file that applies to each folder seen (undefined: none), shared along the chain up. */
  private readonly found = new Map<string, string | undefined>();
  private readonly matchers = new Map<LoadedConfig, (relative: string) => boolean>();
  private defaultConfig?: ZdmConfig;

  constructor(
    private readonly host: ProjectHost,
    private readonly explicitPath?: string,
    /** Settings that win over every config file (command-line flags). */
    private readonly overrides?: Partial<Pick<ZdmConfig, 'pgVersion'>>,
  ) {}

  forFile(filePath: string): LoadedConfig {
    const dir = dirnameOf(resolvedPath(filePath));
    let loaded = this.byDir.get(dir);
    if (!loaded) {
      const file = this.explicitPath ? path.resolve(this.explicitPath) : this.configFileFor(dir);
      loaded = file !== undefined ? this.byFile.get(file) : undefined;
      if (!loaded) {
        // With the file already found, loadConfig reads it without walking up again; with none, the
        // defaults apply, rooted at the folder (as loadConfig would return them after its own walk).
        if (file !== undefined) {
          loaded = loadConfig(dir, this.host, file, ruleIds, ruleOptions);
          if (this.overrides) Object.assign(loaded.config, this.overrides);
        } else {
          loaded = { config: this.defaults(), root: dir, problems: [] };
        }
        if (loaded.path !== undefined) this.byFile.set(loaded.path, loaded);
      }
      this.byDir.set(dir, loaded);
    }
    return loaded;
  }

  /**
   * The config of every folder that has no config file: one object (configs are only read once built),
   * so what the engine works out per config (the rules it turns on, their levels and options) is
   * worked out once, not once per folder (a corpus of 355 such folders did it 355 times).
   */
  private defaults(): ZdmConfig {
    if (!this.defaultConfig) {
      this.defaultConfig = defaultConfig();
      if (this.overrides) Object.assign(this.defaultConfig, this.overrides);
    }
    return this.defaultConfig;
  }

  /** findConfigFile, memoized per folder: sibling folders share the walk up from their parent. */
  private configFileFor(dir: string): string | undefined {
    if (this.found.has(dir)) return this.found.get(dir);
    const candidate = childPath(dir, CONFIG_FILE_NAME);
    const parent = dirnameOf(dir);
    const file = this.host.fileExists(candidate) ? candidate : parent === dir ? undefined : this.configFileFor(parent);
    this.found.set(dir, file);
    return file;
  }

  /** True when the file matches an `ignore` glob of its config. */
  isIgnored(filePath: string): boolean {
    const loaded = this.forFile(filePath);
    if (loaded.config.ignore.length === 0) return false;
    let matcher = this.matchers.get(loaded);
    if (!matcher) {
      matcher = picomatch(loaded.config.ignore, { dot: true });
      this.matchers.set(loaded, matcher);
    }
    return matcher(path.relative(loaded.root, path.resolve(filePath)).split(path.sep).join('/'));
  }

  all(): LoadedConfig[] {
    return [...new Set(this.byDir.values())];
  }

  clear(): void {
    this.byDir.clear();
    this.byFile.clear();
    this.found.clear();
    this.matchers.clear();
    this.defaultConfig = undefined;
  }
}

/**
 * Whether a .sql file is a migration, as the editor and a folder walk of `zdm lint` decide: named or
 * placed like one (a migrations folder, `0001_x.up.sql`, `V1__x.sql`, diesel, Prisma, sqitch), carrying
 * a format's markers, or under the config's `migrationsDir`. Not: a schema dump (`db/schema.sql`),
 * seeds, saved queries.
 */
export function looksLikeMigration(filePath: string, text: string, host: ProjectHost, loaded: Pick<LoadedConfig, 'config' | 'root'>): boolean {
  if (looksLikeMigrationPath(filePath, host)) return true;
  if (FORMATS.dbmate.hasMarkers!(text) || FORMATS.goose.hasMarkers!(text) || FORMATS.liquibase.hasMarkers!(text)) return true;
  return loaded.config.migrationsDir.some((dir) => {
    const relative = path.relative(path.resolve(loaded.root, dir), filePath);
    return !relative.startsWith('..') && !path.isAbsolute(relative);
  });
}

export interface LintFileOptions {
  ignoreBaseline?: boolean;
}

/** Reads a file from disk and lints it with the config that applies to it. */
export function lintFileFromDisk(filePath: string, host: ProjectHost, configs: ConfigCache, options: LintFileOptions = {}): LintResult {
  const loaded = configs.forFile(filePath);
  if ((host as Partial<DiskHost>).cachesFiles === true) {
    // One read per file in a run: rules also read a file as another one's other half (its down, its
    // pop group), through the host. Text without U+FFFD decoded from valid UTF-8, exactly as below;
    // anything else takes the byte-level path, which says where the bad byte is.
    const text = host.readFile(filePath);
    if (text !== undefined && !text.includes('\uFFFD')) {
      return lintText(filePath, text.replace(/^\uFEFF/, ''), { config: loaded.config, host, root: loaded.root, ignoreBaseline: options.ignoreBaseline });
    }
  }
  let bytes: Buffer;
  try {
    bytes = (host as Partial<DiskHost>).readBytes?.(filePath) ?? fs.readFileSync(filePath);
  } catch (error) {
    return unreadable(filePath, host, loaded, `Cannot read the file: ${(error as Error).message}`);
  }
  if (!isUtf8(bytes)) {
    const bad = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, bad).toString('utf8');
    const text = bytes.toString('utf8');
    const result = emptyResult(filePath, text, host, loaded);
    result.skipped = 'not UTF-8';
    const line = lineNumberAt(before, before.length);
    result.findings.push({
      rule: 'syntax-error',
      severity: 'error',
      message: `The file is not valid UTF-8 (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at line ${line}); PostgreSQL migrations must be UTF-8 text, so it was not linted.`,
      help: 'Re-save the file as UTF-8.',
      span: { start: before.length, end: before.length + 1 },
    });
    return result;
  }
  const text = bytes.toString('utf8').replace(/^\uFEFF/, '');
  return lintText(filePath, text, { config: loaded.config, host, root: loaded.root, ignoreBaseline: options.ignoreBaseline });
}

function unreadable(filePath: string, host: ProjectHost, loaded: LoadedConfig, message: string): LintResult {
  const result = emptyResult(filePath, '', host, loaded);
  result.skipped = 'unreadable';
  result.findings.push({ rule: 'syntax-error', severity: 'error', message, span: { start: 0, end: 0 } });
  return result;
}

function emptyResult(filePath: string, text: string, host: ProjectHost, loaded: LoadedConfig): LintResult {
  return { document: describeMigration(filePath, text, host, { format: loaded.config.format }), statements: [], findings: [], ruleFailures: [] };
}

/** Offset of the first byte that breaks UTF-8. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return i;
    i += need + 1;
  }
  return bytes.length;
}
