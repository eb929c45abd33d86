// ARCHITECTURE.md's invariants, checked on the source: the engine never imports the editor or LSP
// libraries, only the LSP layer imports the LSP server library, only the client imports vscode, and
// only the runner's db module imports the PostgreSQL driver.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { REPO_ROOT } from '../helpers/paths';

function sources(dir: string): { file: string; imports: string[] }[] {
  const root = path.join(REPO_ROOT, dir);
  return fs
    .readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      const imports = [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]);
      return { file: path.join(dir, f), imports };
    });
}

describe('architecture invariants', () => {
  it('the engine imports nothing from vscode or the LSP libraries', () => {
    const offenders = sources('server/src/engine').filter((s) => s.imports.some((i) => i === 'vscode' || i.startsWith('vscode-language')));
    assert.deepEqual(offenders.map((o) => o.file), []);
  });

  it('only server/src/lsp speaks LSP, and only client/src speaks the VS Code API', () => {
    const server = [...sources('server/src/engine'), ...sources('server/src/cli')];
    assert.deepEqual(server.filter((s) => s.imports.some((i) => i.startsWith('vscode-languageserver'))).map((s) => s.file), []);
    const notClient = [...sources('server/src')];
    assert.deepEqual(notClient.filter((s) => s.imports.includes('vscode')).map((s) => s.file), []);
  });

  it('no module-level WeakMap is keyed by an object of one file\'s lint (those memos are KeyedMemos, see engine/memo.ts)', () => {
    // Key types that live for one file's lint; a WeakMap keyed by them kept its values through young-generation GCs.
    const perFile = /new WeakMap<\s*(?:readonly\s+)?(?:Statement|MigrationDocument|Counterpart|ColumnStates|DownStatement|Section)\b/;
    const root = path.join(REPO_ROOT, 'server/src/engine');
    const offenders = fs
      .readdirSync(root, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.ts') && perFile.test(fs.readFileSync(path.join(root, f), 'utf8')));
    assert.deepEqual(offenders, []);
  });

  it('only the runner database module imports the PostgreSQL driver', () => {
    const users = [...sources('server/src'), ...sources('client/src')].filter((s) => s.imports.some((i) => i === 'pg' || i.startsWith('pg/')));
    assert.ok(users.every((u) => u.file === path.join('server/src/engine/runner', 'db.ts')), users.map((u) => u.file).join(', '));
  });
});
