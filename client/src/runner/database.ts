// The dev database URL of a workspace folder: the URL without its password in the `zdm.database.url`
// setting, the password in VS Code's SecretStorage. Neither is ever written to a log.

import * as vscode from 'vscode';
import { checkUrl, maskUrl, parsePgUrl } from '../../../server/src/engine/runner/url';
import { secretKey, splitPassword, withPassword } from './settings';

/** The full URL for a folder (password from the secret storage), or undefined when none is set. */
export async function databaseUrlFor(secrets: vscode.SecretStorage, folder: vscode.Uri | undefined): Promise<string | undefined> {
  const url = vscode.workspace.getConfiguration('zdm', folder).get<string>('database.url', '').trim();
  if (!url) return undefined;
  const { url: bare } = splitPassword(url);
  const password = await secrets.get(secretKey(bare));
  return withPassword(bare, password);
}

/** "zdm: Set Database URL": asks for the URL, then (when it has a user and no password) the password. */
export async function setDatabaseUrl(secrets: vscode.SecretStorage, folder: vscode.WorkspaceFolder | undefined): Promise<void> {
  const config = vscode.workspace.getConfiguration('zdm', folder?.uri);
  const current = config.get<string>('database.url', '');
  const input = await vscode.window.showInputBox({
    title: 'zdm: dev database URL',
    prompt: 'postgres://user@host:5432/database. The password is kept in the secret storage, not in settings. Empty: use DATABASE_URL, .zdm.json or the embedded PostgreSQL.',
    value: current,
    placeHolder: 'postgres://app@localhost:5432/app_dev',
    ignoreFocusOut: true,
    validateInput: (value) => {
      if (value.trim() === '') return undefined;
      try {
        // As the runner reads it (libpq's forms, unix sockets included).
        checkUrl(value.trim(), 'The URL');
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  if (input === undefined) return;
  const target = folder ? vscode.ConfigurationTarget.WorkspaceFolder : vscode.ConfigurationTarget.Workspace;
  if (input.trim() === '') {
    await config.update('database.url', undefined, target);
    if (current) await secrets.delete(secretKey(splitPassword(current).url));
    void vscode.window.showInformationMessage('zdm: database URL cleared (DATABASE_URL, .zdm.json or the embedded PostgreSQL are used).');
    return;
  }
  const { url, password: inUrl } = splitPassword(input.trim());
  let password = inUrl;
  const parsed = parsePgUrl(url);
  if (password === undefined && !('error' in parsed) && parsed.user) {
    password = await vscode.window.showInputBox({ title: `zdm: password for ${maskUrl(url)}`, prompt: 'Kept in the secret storage. Leave empty for none.', password: true, ignoreFocusOut: true });
    if (password === undefined) return;
  }
  await config.update('database.url', url, target);
  if (password) await secrets.store(secretKey(url), password);
  else await secrets.delete(secretKey(url));
  void vscode.window.showInformationMessage(`zdm: database set to ${maskUrl(url)}${password ? ' (password in the secret storage)' : ''}.`);
}
