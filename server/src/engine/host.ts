// The engine's only window on the file system. The CLI gives it the disk (with a cache); the language
// server gives it the disk with the open editors' unsaved text on top. Tests give it a map.

import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ProjectHost {
  /** The text of a file, or undefined when it does not exist or cannot be read. */
  readFile(filePath: string): string | undefined;
  fileExists(filePath: string): boolean;
  /** Entry names of a directory, or undefined when it does not exist. */
  readDirectory(dirPath: string): string[] | undefined;
}

/** A host that reads the disk and remembers what it read (for one CLI run). */
export function createDiskHost(options: { cache: boolean } = { cache: true }): ProjectHost {
  const files = new Map<string, string | undefined>();
  const dirs = new Map<string, string[] | undefined>();
  return {
    readFile(filePath) {
      if (options.cache && files.has(filePath)) return files.get(filePath);
      let text: string | undefined;
      try {
        text = fs.readFileSync(filePath, 'utf8');
      } catch {
        text = undefined;
      }
      if (options.cache) files.set(filePath, text);
      return text;
    },
    fileExists(filePath) {
      const dir = this.readDirectory(path.dirname(filePath));
      return dir !== undefined && dir.includes(path.basename(filePath));
    },
    readDirectory(dirPath) {
      if (options.cache && dirs.has(dirPath)) return dirs.get(dirPath);
      let names: string[] | undefined;
      try {
        names = fs.readdirSync(dirPath);
      } catch {
        names = undefined;
      }
      if (options.cache) dirs.set(dirPath, names);
      return names;
    },
  };
}

/** A host over an in-memory map of path -> text (tests, and open documents layered on another host). */
export function createMemoryHost(files: Record<string, string>, fallback?: ProjectHost): ProjectHost {
  const normalized = new Map(Object.entries(files).map(([p, t]) => [path.resolve(p), t]));
  return {
    readFile(filePath) {
      const hit = normalized.get(path.resolve(filePath));
      return hit !== undefined ? hit : fallback?.readFile(filePath);
    },
    fileExists(filePath) {
      return normalized.has(path.resolve(filePath)) || (fallback?.fileExists(filePath) ?? false);
    },
    readDirectory(dirPath) {
      const dir = path.resolve(dirPath);
      const names = new Set<string>(fallback?.readDirectory(dirPath) ?? []);
      for (const p of normalized.keys()) {
        if (path.dirname(p) === dir) names.add(path.basename(p));
        else if (p.startsWith(dir + path.sep)) names.add(p.slice(dir.length + 1).split(path.sep)[0]);
      }
      return names.size > 0 || fallback?.readDirectory(dirPath) ? [...names] : undefined;
    },
  };
}
