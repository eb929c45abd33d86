// Commands, as a table: id -> handler. Registered once; they reach the server through the handle, so
// they keep working after a restart.

import * as vscode from 'vscode';
import type { ServerHandle } from './client';
import { registerCommandTable, type CommandTable } from './command-table';
import { SCAFFOLD_COMMANDS } from './scaffold/commands';

export interface CommandContext {
  handle: ServerHandle;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** Where the dev database's password is kept (the runner's zdm.database.url setting). */
  secrets?: vscode.SecretStorage;
}

export const COMMANDS: CommandTable<CommandContext> = {
  'zdm.restartServer': async (ctx) => {
    ctx.log.info('zdm: restarting the language server');
    await ctx.handle.restart();
  },
  'zdm.showServerLog': (ctx) => ctx.log.show(),
  'zdm.showRuleDocs': (ctx, rule?: unknown) => showRuleDocs(ctx, typeof rule === 'string' ? rule : undefined),
  ...SCAFFOLD_COMMANDS,
};

/** Opens a rule's documentation (shipped in the extension) in the Markdown preview; asks which rule when none is given. */
async function showRuleDocs(ctx: CommandContext, rule: string | undefined): Promise<void> {
  const folder = vscode.Uri.joinPath(ctx.extensionUri, 'docs', 'rules');
  let id = rule;
  if (!id) {
    const entries = await vscode.workspace.fs.readDirectory(folder);
    const ids = entries.map(([name]) => name).filter((n) => n.endsWith('.md') && n !== 'README.md').map((n) => n.slice(0, -3)).sort();
    id = await vscode.window.showQuickPick(ids, { placeHolder: 'Which rule?' });
    if (!id) return;
  }
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(folder, `${id}.md`));
}

export function registerCommands(context: vscode.ExtensionContext, ctx: CommandContext): void {
  registerCommandTable(context, COMMANDS, ctx);
}
