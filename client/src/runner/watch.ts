// Keeps the Migrations view in step with the files on disk: a migration created ("zdm: New Migration",
// a trio, another tool, a git checkout), edited or deleted anywhere in the workspace, or a .zdm.json
// changed, refreshes the view once per burst of changes. The view reloads its status only while it is
// shown (VS Code asks a tree for its children only then).

import * as vscode from 'vscode';

/** Migration files and the files that decide how they run (.zdm.json, diesel's metadata.toml, Flyway's .conf). */
export const MIGRATION_FILES_GLOB = '**/{*.sql,.zdm.json,metadata.toml,*.sql.conf}';

/** Folders whose files are never migrations: dependencies, git's own, zdm's state (the embedded server's data). */
const IGNORED = /[\\/](?:node_modules|\.git|\.zdm)[\\/]/;

export function watchMigrationFiles(refresh: () => void, delayMs = 200): vscode.Disposable {
  const watcher = vscode.workspace.createFileSystemWatcher(MIGRATION_FILES_GLOB);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = (uri: vscode.Uri) => {
    if (IGNORED.test(uri.fsPath)) return;
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      refresh();
    }, delayMs);
  };
  const subscriptions = [watcher.onDidCreate(changed), watcher.onDidChange(changed), watcher.onDidDelete(changed), watcher];
  return {
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      for (const s of subscriptions) s.dispose();
    },
  };
}
