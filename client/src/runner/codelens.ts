// "Migrate up to here" above each up section and "Roll back to here" above each down section of a
// migration the runner can apply; a sqitch script's change and each Liquibase changeset get theirs too.
// Where they go and what they run is lens-targets.ts (pure, tested without VS Code); sections come from
// the engine's format layer, like everything else.

import * as vscode from 'vscode';
import { createDiskHost } from '../../../server/src/engine/host';
import { runnerLenses } from './lens-targets';

export class RunnerCodeLenses implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== 'file' || !vscode.workspace.isTrusted) return [];
    if (!vscode.workspace.getConfiguration('zdm', document.uri).get<boolean>('runner.codeLens', true)) return [];
    return runnerLenses(document.uri.fsPath, document.getText(), createDiskHost({ cache: false })).map(
      (lens) => new vscode.CodeLens(new vscode.Range(lens.line, 0, lens.line, 0), { title: lens.title, command: lens.command, arguments: [lens.target] }),
    );
  }
}
