// The status bar item: the language server's health at a glance; a click shows the server log.

import * as vscode from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped' | 'failed';

export interface StatusItem {
  set(state: ServerState, detail?: string): void;
  readonly state: ServerState;
}

const LOOK: Record<ServerState, { text: string; tooltip: string; color?: vscode.ThemeColor }> = {
  starting: { text: '$(sync~spin) zdm', tooltip: 'zdm: starting the language server' },
  running: { text: '$(check) zdm', tooltip: 'zdm: linting migrations' },
  stopped: { text: '$(debug-stop) zdm', tooltip: 'zdm: the language server stopped (it restarts by itself after a crash)', color: new vscode.ThemeColor('statusBarItem.warningBackground') },
  failed: { text: '$(error) zdm', tooltip: 'zdm: the language server failed', color: new vscode.ThemeColor('statusBarItem.errorBackground') },
};

export function createStatusItem(context: vscode.ExtensionContext): StatusItem {
  const item = vscode.window.createStatusBarItem('zdm.status', vscode.StatusBarAlignment.Right, 100);
  item.name = 'zdm';
  item.command = 'zdm.showServerLog';
  context.subscriptions.push(item);
  let current: ServerState = 'starting';
  const status: StatusItem = {
    set(state, detail) {
      current = state;
      const look = LOOK[state];
      item.text = look.text;
      item.tooltip = detail ? `${look.tooltip}: ${detail}` : look.tooltip;
      item.backgroundColor = look.color;
      item.show();
    },
    get state() {
      return current;
    },
  };
  status.set('starting');
  return status;
}
