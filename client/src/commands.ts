// Commands, as a table: id -> handler. Registered once; they reach the server through the handle, so
// they keep working after a restart.

import * as vscode from 'vscode';
import type { ServerHandle } from './client';

export interface CommandContext {
  handle: ServerHandle;
  log: vscode.LogOutputChannel;
}

export const COMMANDS: Record<string, (ctx: CommandContext) => unknown> = {
  'zdm.restartServer': async (ctx) => {
    ctx.log.info('zdm: restarting the language server');
    await ctx.handle.restart();
  },
  'zdm.showServerLog': (ctx) => ctx.log.show(),
};

export function registerCommands(context: vscode.ExtensionContext, ctx: CommandContext): void {
  for (const [id, run] of Object.entries(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, () => run(ctx)));
  }
}
