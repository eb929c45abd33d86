// "Migrate up to here" above each up section and "Roll back to here" above each down section of a
// migration the runner can apply. Sections come from the engine's format layer, like everything else.

import * as vscode from 'vscode';
import { describeMigration } from '../../../server/src/engine/formats/index';
import { createDiskHost } from '../../../server/src/engine/host';
import { RUNNABLE_FORMATS } from '../../../server/src/engine/runner/runnable';

export class RunnerCodeLenses implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== 'file' || !vscode.workspace.isTrusted) return [];
    if (!vscode.workspace.getConfiguration('zdm', document.uri).get<boolean>('runner.codeLens', true)) return [];
    const doc = describeMigration(document.uri.fsPath, document.getText(), createDiskHost({ cache: false }));
    if (!RUNNABLE_FORMATS.includes(doc.format) || doc.version === undefined || doc.dialect) return [];
    if (doc.role === 'repeatable' || doc.role === 'verify' || doc.role === 'unknown') return [];
    // A plain .sql file outside a migrations folder is not a migration to run.
    if (doc.format === 'plain' && doc.formatSource === 'default' && !/(^|[\\/])(migrations?|migrate)([\\/]|$)/i.test(document.uri.fsPath)) return [];
    const lenses: vscode.CodeLens[] = [];
    const target = { file: document.uri.fsPath, version: doc.version };
    const up = doc.sections.find((s) => s.kind === 'up');
    const down = doc.sections.find((s) => s.kind === 'down');
    if (up) {
      const line = document.positionAt((up.marker ?? up.span).start).line;
      lenses.push(new vscode.CodeLens(new vscode.Range(line, 0, line, 0), { title: '$(arrow-up) Migrate up to here', command: 'zdm.migrateUp', arguments: [target] }));
    }
    if (down) {
      const line = document.positionAt((down.marker ?? down.span).start).line;
      lenses.push(new vscode.CodeLens(new vscode.Range(line, 0, line, 0), { title: '$(arrow-down) Roll back to here', command: 'zdm.rollback', arguments: [target] }));
    }
    return lenses;
  }
}
