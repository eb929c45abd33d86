// Linting files of a project: the config that applies to each file (cached per folder), the
// `ignore` globs, and reading files from disk with a clear finding for text that is not UTF-8.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isUtf8 } from 'node:buffer';
import picomatch from 'picomatch';
import { loadConfig, type LoadedConfig, type ZdmConfig } from './config/config';
import { describeMigration } from './formats/index';
import type { ProjectHost } from './host';
import { lintText } from './lint';
import type { LintResult } from './model';
import { ruleIds } from './rules/registry';

export class ConfigCache {
  private readonly byDir = new Map<string, LoadedConfig>();
  private readonly matchers = new Map<LoadedConfig, (relative: string) => boolean>();

  constructor(
    private readonly host: ProjectHost,
    private readonly explicitPath?: string,
    /** Settings that win over every config file (command-line flags). */
    private readonly overrides?: Partial<Pick<ZdmConfig, 'pgVersion'>>,
  ) {}

  forFile(filePath: string): LoadedConfig {
    const dir = path.dirname(path.resolve(filePath));
    let loaded = this.byDir.get(dir);
    if (!loaded) {
      loaded = loadConfig(dir, this.host, this.explicitPath, ruleIds);
      if (this.overrides) Object.assign(loaded.config, this.overrides);
      // Share one object per config file, so its problems are reported once.
      for (const other of this.byDir.values()) {
        if (other.path !== undefined && other.path === loaded.path) {
          loaded = other;
          break;
        }
      }
      this.byDir.set(dir, loaded);
    }
    return loaded;
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
    this.matchers.clear();
  }
}

export interface LintFileOptions {
  ignoreBaseline?: boolean;
}

/** Reads a file from disk and lints it with the config that applies to it. */
export function lintFileFromDisk(filePath: string, host: ProjectHost, configs: ConfigCache, options: LintFileOptions = {}): LintResult {
  const loaded = configs.forFile(filePath);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(filePath);
  } catch (error) {
    return unreadable(filePath, host, loaded, `Cannot read the file: ${(error as Error).message}`);
  }
  if (!isUtf8(bytes)) {
    const bad = firstInvalidUtf8(bytes);
    const before = bytes.subarray(0, bad).toString('utf8');
    const text = bytes.toString('utf8');
    const result = emptyResult(filePath, text, host, loaded);
    result.skipped = 'not UTF-8';
    const line = before.split('\n').length;
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
