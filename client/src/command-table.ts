// What every group of commands (commands.ts, prove/, runner/, scaffold/) does the same way: commands
// declared as a table (id -> handler taking the group's context), the workspace-trust gate of the
// commands that reach a database, and the choice of a workspace folder.

import * as vscode from 'vscode';

export type CommandTable<C> = Record<string, (ctx: C, ...args: unknown[]) => unknown>;

/** Registers each command of the table, its handler called with `ctx` and the command's arguments. */
export function registerCommandTable<C>(extension: vscode.ExtensionContext, table: CommandTable<C>, ctx: C): void {
  for (const [id, run] of Object.entries(table)) {
    extension.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => run(ctx, ...args)));
  }
}

/** True in a trusted workspace; otherwise says so (`refused`: what zdm does not do from an untrusted one) and returns false. */
export function trustedWorkspace(refused: string, remedy: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  void vscode.window.showErrorMessage(`zdm: this workspace is not trusted, so zdm ${refused} from it. Trust the workspace to ${remedy}.`);
  return false;
}

/** The workspace folder: the only one (undefined when none is open), or the one the user picks. */
export async function chooseWorkspaceFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Which project?' });
}
