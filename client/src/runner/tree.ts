// The "Migrations" view in the explorer: every migration with its state (applied, edited after it was
// applied, pending, failed, applied but missing on disk, below a Flyway baseline) and applied time, from `zdm status`. It never
// starts the embedded database by itself: without a database it offers the commands that provide one.

import * as vscode from 'vscode';
import type { RunResult, StatusEntry } from '../../../server/src/engine/runner/events';
import { migrationItemLabel, migrationRunTarget } from './tree-items';

// `target`: what its buttons give --to / --through (migrationRunTarget: it depends on the other migrations).
export type MigrationNode = { kind: 'migration'; entry: StatusEntry; folder: vscode.WorkspaceFolder; target: string } | { kind: 'message'; text: string; command?: vscode.Command; folder?: vscode.WorkspaceFolder };

const LOOK: Record<StatusEntry['state'], { icon: string; color?: string; label: string }> = {
  applied: { icon: 'pass', color: 'testing.iconPassed', label: 'applied' },
  edited: { icon: 'edit', color: 'list.warningForeground', label: 'edited after apply' },
  pending: { icon: 'circle-large-outline', label: 'pending' },
  failed: { icon: 'error', color: 'list.errorForeground', label: 'failed' },
  missing: { icon: 'warning', color: 'list.warningForeground', label: 'missing on disk' },
  'below-baseline': { icon: 'circle-slash', color: 'disabledForeground', label: 'below Flyway baseline' },
};

export class MigrationTree implements vscode.TreeDataProvider<MigrationNode> {
  private readonly changed = new vscode.EventEmitter<MigrationNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly results = new Map<string, RunResult | { message: string }>();

  constructor(private readonly loadStatus: (folder: vscode.WorkspaceFolder) => Promise<RunResult | { message: string }>) {}

  /** Reloads the status (after a run, or when asked). */
  refresh(): void {
    this.results.clear();
    this.changed.fire(undefined);
  }

  /** Shows a status a run already returned, without asking the database again. */
  show(folder: vscode.WorkspaceFolder, result: RunResult): void {
    if (!result.status) return;
    this.results.set(folder.uri.toString(), result);
    this.changed.fire(undefined);
  }

  getTreeItem(node: MigrationNode): vscode.TreeItem {
    if (node.kind === 'message') {
      const item = new vscode.TreeItem(node.text);
      item.command = node.command;
      item.iconPath = new vscode.ThemeIcon(node.command ? 'play' : 'info');
      return item;
    }
    const { entry } = node;
    // A state a newer zdm reports that this view does not know yet is shown by its name.
    const look = LOOK[entry.state] ?? { icon: 'question', label: String(entry.state) };
    const item = new vscode.TreeItem(migrationItemLabel(entry));
    const when = entry.appliedAt ? new Date(entry.appliedAt).toLocaleString() : '';
    item.description = [look.label, when].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(
      [`**${entry.name ?? entry.version}** — ${look.label}`, when ? `applied ${when}` : '', entry.note ?? ''].filter(Boolean).join('\n\n'),
    );
    item.iconPath = new vscode.ThemeIcon(look.icon, look.color ? new vscode.ThemeColor(look.color) : undefined);
    // A repeatable script (Flyway) has no version to migrate up to or roll back through: no inline buttons.
    item.contextValue = entry.repeatable ? `zdm.migration.repeatable.${entry.state}` : `zdm.migration.${entry.state}`;
    if (entry.file) {
      item.resourceUri = vscode.Uri.file(entry.file);
      item.command = { command: 'vscode.open', title: 'Open', arguments: [vscode.Uri.file(entry.file), { selection: new vscode.Range((entry.upLine ?? 1) - 1, 0, (entry.upLine ?? 1) - 1, 0) }] };
    }
    return item;
  }

  async getChildren(parent?: MigrationNode): Promise<MigrationNode[]> {
    if (parent) return [];
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) return [{ kind: 'message', text: 'Open a folder with migrations.' }];
    if (!vscode.workspace.isTrusted) return [{ kind: 'message', text: 'Trust this workspace to see migration status (zdm connects to a database).' }];
    const nodes: MigrationNode[] = [];
    for (const folder of folders) {
      let result = this.results.get(folder.uri.toString());
      if (!result) {
        result = await this.loadStatus(folder);
        this.results.set(folder.uri.toString(), result);
      }
      if (!('command' in result)) {
        nodes.push({ kind: 'message', text: result.message, folder });
        continue;
      }
      if (result.noDatabase) {
        nodes.push({ kind: 'message', text: 'Start the embedded PostgreSQL', command: { command: 'zdm.startEmbeddedDatabase', title: 'Start', arguments: [folder.uri] }, folder });
        nodes.push({ kind: 'message', text: 'Set a database URL', command: { command: 'zdm.setDatabaseUrl', title: 'Set', arguments: [folder.uri] }, folder });
        continue;
      }
      if (result.usageError !== undefined) {
        if (folders.length === 1 || !/No migrations folder/.test(result.usageError)) nodes.push({ kind: 'message', text: result.usageError.split('\n')[0], folder });
        continue;
      }
      if (result.error && !result.status) {
        nodes.push({ kind: 'message', text: result.error.message.split('\n')[0], folder });
        continue;
      }
      const entries = result.status ?? [];
      for (const entry of entries) nodes.push({ kind: 'migration', entry, folder, target: migrationRunTarget(entry, entries) });
    }
    return nodes.length > 0 ? nodes : [{ kind: 'message', text: 'No migrations.' }];
  }
}
