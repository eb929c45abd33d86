// The engine's only window on the file system. The CLI gives it the disk (with a cache); the language
// server gives it the disk with the open editors' unsaved text on top, `zdm lint --stdin-filename` the
// disk with stdin's text at one path. Tests give it a map.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { basenameOf, dirnameOf, resolvedPath } from './paths';

export interface ProjectHost {
  /** The text of a file, or undefined when it does not exist or cannot be read. */
  readFile(filePath: string): string | undefined;
  fileExists(filePath: string): boolean;
  /** Entry names of a directory, or undefined when it does not exist. */
  readDirectory(dirPath: string): string[] | undefined;
}

/** A disk host; with `cachesFiles`, every reader of a file in this run shares one read of it. */
export interface DiskHost extends ProjectHost {
  readonly cachesFiles: boolean;
  /** The bytes of a file whose text did not come from the disk (`withFileText`); undefined: read the disk. */
  readBytes?(filePath: string): Buffer | undefined;
}

/**
 * A host that reads the disk and remembers what it read (for one CLI run). With the cache on, a
 * directory is listed once and answers every existence question about its entries (a Set lookup),
 * and a file its directory listing does not hold (or whose directory does not exist) is known to be
 * missing without trying to read it: formats and rules probe for optional files (diesel's
 * metadata.toml, a Flyway script's .conf, `.zdm/` records up the tree).
 */
export function createDiskHost(options: { cache: boolean; listings?: ReadonlyMap<string, string[]> } = { cache: true }): DiskHost {
  const files = new Map<string, string | undefined>();
  // With the cache, folders already listed in this run (the CLI's search for files) are not listed again.
  const dirs = new Map<string, string[] | undefined>(options.cache && options.listings ? options.listings : undefined);
  /** Folders whose listing failed because they do not exist (not for lack of permission). */
  const missingDirs = new Set<string>();
  const entrySets = new Map<string, Set<string> | undefined>();
  const existence = new Map<string, boolean>();
  const entriesOf = (dirPath: string): Set<string> | undefined => {
    if (entrySets.has(dirPath)) return entrySets.get(dirPath);
    const names = host.readDirectory(dirPath);
    const set = names === undefined ? undefined : new Set(names);
    if (options.cache) entrySets.set(dirPath, set);
    return set;
  };
  const knownMissing = (filePath: string): boolean => {
    const dir = dirnameOf(filePath);
    const entries = entriesOf(dir);
    return entries !== undefined ? !entries.has(basenameOf(filePath)) : missingDirs.has(dir);
  };
  const host: DiskHost = {
    cachesFiles: options.cache,
    readFile(filePath) {
      if (options.cache && files.has(filePath)) return files.get(filePath);
      let text: string | undefined;
      // A folder listed without the entry, or a folder that does not exist: no failed open to pay
      // for. A folder that cannot be listed may still be readable file by file, so that case reads.
      if (options.cache && knownMissing(filePath)) {
        text = undefined;
      } else {
        try {
          text = fs.readFileSync(filePath, 'utf8');
        } catch {
          text = undefined;
        }
      }
      if (options.cache) files.set(filePath, text);
      return text;
    },
    fileExists(filePath) {
      if (!options.cache) return entriesOf(dirnameOf(filePath))?.has(basenameOf(filePath)) ?? false;
      // Formats and rules ask about the same files again and again (companions, pop parts, diesel's up.sql).
      let exists = existence.get(filePath);
      if (exists === undefined) existence.set(filePath, (exists = entriesOf(dirnameOf(filePath))?.has(basenameOf(filePath)) ?? false));
      return exists;
    },
    readDirectory(dirPath) {
      if (options.cache && dirs.has(dirPath)) return dirs.get(dirPath);
      let names: string[] | undefined;
      // A folder whose parent was listed without it (or whose parent does not exist) does not exist
      // either: scaffolding asks whether each file a fix would create is a folder, per finding.
      const parent = dirnameOf(dirPath);
      if (options.cache && parent !== dirPath && dirs.has(parent) && (missingDirs.has(parent) || entriesOf(parent)?.has(basenameOf(dirPath)) === false)) {
        missingDirs.add(dirPath);
        dirs.set(dirPath, undefined);
        return undefined;
      }
      try {
        names = fs.readdirSync(dirPath);
      } catch (error) {
        names = undefined;
        const code = (error as NodeJS.ErrnoException).code;
        if (options.cache && (code === 'ENOENT' || code === 'ENOTDIR')) missingDirs.add(dirPath);
      }
      if (options.cache) dirs.set(dirPath, names);
      return names;
    },
  };
  return host;
}

/**
 * `host` with one file's bytes given instead of read (`zdm lint --stdin-filename`: the text of an
 * editor's buffer, at the path it will have). The file exists for every reader, in its folder's
 * listing too, so formats, other halves and folder histories see it where it will be.
 */
export function withFileText(host: DiskHost, filePath: string, bytes: Buffer): DiskHost {
  const file = resolvedPath(filePath);
  const dir = dirnameOf(file);
  const name = basenameOf(file);
  const text = bytes.toString('utf8');
  let listing: string[] | undefined;
  return {
    cachesFiles: host.cachesFiles,
    readBytes: (p) => (p === file ? bytes : host.readBytes?.(p)),
    readFile: (p) => (p === file ? text : host.readFile(p)),
    fileExists: (p) => p === file || host.fileExists(p),
    readDirectory(p) {
      if (p !== dir) return host.readDirectory(p);
      // One array for every caller, as the disk host gives: memos keyed by a listing find it again.
      if (listing === undefined) {
        const names = host.readDirectory(p);
        listing = names?.includes(name) ? names : [...(names ?? []), name];
      }
      return listing;
    },
  };
}

/** A host over an in-memory map of path -> text (tests, and open documents layered on another host). */
export function createMemoryHost(files: Record<string, string>, fallback?: ProjectHost): ProjectHost {
  const normalized = new Map(Object.entries(files).map(([p, t]) => [resolvedPath(p), t]));
  return {
    readFile(filePath) {
      const hit = normalized.get(resolvedPath(filePath));
      return hit !== undefined ? hit : fallback?.readFile(filePath);
    },
    fileExists(filePath) {
      return normalized.has(resolvedPath(filePath)) || (fallback?.fileExists(filePath) ?? false);
    },
    readDirectory(dirPath) {
      const dir = resolvedPath(dirPath);
      const names = new Set<string>(fallback?.readDirectory(dirPath) ?? []);
      for (const p of normalized.keys()) {
        if (dirnameOf(p) === dir) names.add(basenameOf(p));
        else if (p.startsWith(dir + path.sep)) names.add(p.slice(dir.length + 1).split(path.sep)[0]);
      }
      return names.size > 0 || fallback?.readDirectory(dirPath) ? [...names] : undefined;
    },
  };
}
