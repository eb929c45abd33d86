// "zdm: New Migration" and "zdm: New Expand/Backfill/Contract Trio": short prompts, then the engine
// (server/src/engine/scaffold) decides the folder, the format, the names and the SQL, writes the files
// (never over an existing one) and the editor opens them. Nothing here knows SQL or migration formats.
//
// Tables and columns are picked from the dev database when one is configured or the embedded server
// runs (and the workspace is trusted): engine/scaffold/catalog.ts reads them through the runner's
// database module; their types, NOT NULL and primary key then need no prompt. Otherwise they are typed.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ScaffoldOutput } from '../../../server/src/engine/scaffold/naming';
import type { ScaffoldTarget } from '../../../server/src/engine/scaffold/target';
import type { CatalogColumn, CatalogTable } from '../../../server/src/engine/scaffold/catalog';
import type { TrioKind, TrioRequest } from '../../../server/src/engine/scaffold/trio';
import { chooseWorkspaceFolder, type CommandTable } from '../command-table';
import { databaseUrlFor } from '../runner/database';
import type * as Engine from './engine';

/** The engine, loaded on first use. */
const engine = (): typeof Engine => require('./engine') as typeof Engine;

export interface ScaffoldContext {
  log: vscode.LogOutputChannel;
  /** The secret storage holding the password of the zdm.database.url setting. */
  secrets?: vscode.SecretStorage;
}

export const SCAFFOLD_COMMANDS: CommandTable<ScaffoldContext> = {
  'zdm.newMigration': (ctx, target?: unknown) => guarded(ctx, () => newMigration(ctx, folderArgument(target))),
  'zdm.newTrio': (ctx, target?: unknown) => guarded(ctx, () => newTrio(ctx, folderArgument(target))),
};

async function newMigration(ctx: ScaffoldContext, folder: vscode.Uri | undefined): Promise<void> {
  const target = await pickTarget(folder);
  if (!target) return;
  const description = await vscode.window.showInputBox({
    title: `zdm: New Migration (${target.format} in ${displayPath(target.dir)})`,
    prompt: 'What does the migration change?',
    placeHolder: 'add users display_name',
    validateInput: (value) => (value.trim() === '' ? undefined : messageOf(() => engine().descriptiveSlug(value))),
  });
  if (description === undefined) return;
  const output = engine().newMigrationFiles(project(target), { description, up: '', down: '' });
  await writeAndOpen(ctx, [output], 'migration');
}

async function newTrio(ctx: ScaffoldContext, folder: vscode.Uri | undefined): Promise<void> {
  const target = await pickTarget(folder);
  if (!target) return;
  // Read while the user picks the change: a dev database that answers nothing costs its timeout (3 s)
  // behind the pick instead of after it. loadCatalog never rejects.
  const catalogRead = loadCatalog(ctx, target);
  const kindPick = await vscode.window.showQuickPick(
    engine().TRIO_KINDS.map((kind) => ({ label: kind, detail: engine().TRIO_KIND_SUMMARIES[kind] })),
    { title: 'zdm: New Expand/Backfill/Contract Trio', placeHolder: 'Which breaking change?' },
  );
  if (!kindPick) return;
  const kind = kindPick.label as TrioKind;
  const catalog = await catalogRead;
  const request = await askRequest(kind, catalog);
  if (!request) return;
  // The table's indexes and constraints, carried over to the new column (rename-column, change-type), or restored by drop-column's way back.
  if (catalog && (kind === 'rename-column' || kind === 'change-type' || kind === 'drop-column')) request.catalog = engine().trioCatalogOf(catalog, request.table);
  await engine().initParser();
  engine().planTrio(request, engine().trioSettingsFrom(target.loaded.config)); // a ScaffoldError names what is wrong before anything is written
  const { plan, outputs } = engine().newTrioFiles(project(target), request, engine().trioSettingsFrom(target.loaded.config, { batchSize: request.batchSize }));
  await writeAndOpen(ctx, outputs, 'trio');
  // What depends on the column and may stop the contract or break the application after it (also in the expand's and contract's headers).
  for (const warning of plan.warnings) {
    ctx.log.warn(`zdm trio: ${warning}`);
    void vscode.window.showWarningMessage(`zdm trio: ${warning}`);
  }
}

/**
 * The dev database's tables, when one is configured (the zdm.database.url setting, ZDM_DATABASE_URL,
 * DATABASE_URL, .zdm.json) or the embedded server runs, and the workspace is trusted; undefined
 * otherwise, or when it cannot be read in a few seconds: names are typed then.
 */
async function loadCatalog(ctx: ScaffoldContext, target: ScaffoldTarget): Promise<CatalogTable[] | undefined> {
  if (!vscode.workspace.isTrusted) return undefined;
  const fromSettings = ctx.secrets ? await databaseUrlFor(ctx.secrets, vscode.Uri.file(target.loaded.root)) : undefined;
  const found = fromSettings === undefined ? engine().devDatabase(target.loaded.root, target.loaded.config, process.env) : { url: fromSettings };
  if (found.problem !== undefined) ctx.log.warn(`zdm: the dev database's URL cannot be used (names are typed instead): ${found.problem}`);
  const url = found.url;
  if (!url) return undefined;
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'zdm: reading tables from the dev database' }, () => engine().readCatalog(url));
  } catch (error) {
    ctx.log.warn(`zdm: could not read the dev database's tables (names are typed instead): ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

type Asked = TrioRequest & { batchSize?: number };

/** The prompts of one kind, in order; undefined when the user cancels. With the dev database's tables, names, types and NOT NULL come from there. */
async function askRequest(kind: TrioKind, catalog: CatalogTable[] | undefined): Promise<Asked | undefined> {
  const title = `zdm trio ${kind}`;
  const tableOnly = kind === 'rename-table' || kind === 'split-table';
  const ask = (prompt: string, options: { placeHolder?: string; value?: string; optional?: boolean; validate?: (v: string) => string | undefined } = {}) =>
    vscode.window.showInputBox({
      title,
      prompt: options.optional ? `${prompt} (optional: leave empty to skip)` : prompt,
      placeHolder: options.placeHolder,
      value: options.value,
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() === '' ? (options.optional ? undefined : 'Required.') : options.validate?.(v)),
    });

  // The table (and column): picked from the dev database, or typed.
  let request: Asked;
  let table: CatalogTable | undefined;
  let column: CatalogColumn | undefined;
  if (catalog && catalog.length > 0) {
    const pickedTable = await pickOrType(title, 'Table', catalog.map((t) => ({ label: tableLabel(t), description: `${t.columns.length} columns`, item: t })), (v) => engine().parseTableName(v));
    if (pickedTable === undefined) return undefined;
    table = pickedTable.item;
    const tableName = table ? { schema: table.schema === 'public' ? undefined : table.schema, name: table.name } : engine().parseTableName(pickedTable.typed!);
    if (tableOnly) request = { kind, table: tableName };
    else {
      const columns = table?.columns ?? [];
      const pickedColumn = await pickOrType(title, 'Column', columns.map((c) => ({ label: c.name, description: `${c.type}${c.notNull ? ' NOT NULL' : ''}${c.default ? ` DEFAULT ${c.default}` : ''}`, item: c })), (v) => engine().parseIdentifier(v, 'The column'));
      if (pickedColumn === undefined) return undefined;
      column = pickedColumn.item;
      request = { kind, table: tableName, column: column ? column.name : engine().parseIdentifier(pickedColumn.typed!, 'The column') };
    }
  } else {
    const targetText = await ask(tableOnly ? 'Table (table or schema.table)' : 'Column (table.column or schema.table.column)', {
      placeHolder: tableOnly ? 'users' : 'users.name',
      validate: (v) => messageOf(() => (tableOnly ? engine().parseTableName(v) : engine().parseColumnRef(v))),
    });
    if (targetText === undefined) return undefined;
    request = tableOnly ? { kind, table: engine().parseTableName(targetText) } : { kind, ...engine().parseColumnRef(targetText) };
  }
  const name = (what: string) => (v: string) => messageOf(() => engine().parseIdentifier(v, what));
  const yesNo = async (question: string): Promise<boolean | undefined> => {
    const pick = await vscode.window.showQuickPick(['No', 'Yes'], { title, placeHolder: question, ignoreFocusOut: true });
    return pick === undefined ? undefined : pick === 'Yes';
  };

  const steps: (() => Promise<boolean>)[] = [];
  const field = (key: 'to' | 'type' | 'fromType' | 'using' | 'default' | 'backfill', prompt: string, options: Parameters<typeof ask>[1] = {}) =>
    steps.push(async () => {
      const value = await ask(prompt, options);
      if (value === undefined) return false;
      if (value.trim() !== '') request[key] = key === 'to' ? engine().parseIdentifier(value, 'The new name') : value.trim();
      return true;
    });
  /** A value the dev database already knows, or a prompt for it. */
  const known = (key: 'type' | 'fromType', value: string | undefined, prompt: string, placeHolder: string) => {
    if (value !== undefined) request[key] = value;
    else field(key, prompt, { placeHolder });
  };
  const notNull = (question: string) => {
    if (column) {
      request.notNull = column.notNull;
      return;
    }
    steps.push(async () => {
      const answer = await yesNo(question);
      if (answer === undefined) return false;
      request.notNull = answer;
      return true;
    });
  };
  /** rename-column: the column's default today, which the contract gives the new column (change-type: only a nextval of a sequence the column does not own). */
  const keepDefault = (options: { onlyNextval?: boolean } = {}) => {
    const carried = engine().carriedDefault(column, table, options);
    if (carried !== undefined) request.default = carried;
  };
  switch (kind) {
    case 'rename-column':
      field('to', 'New column name', { placeHolder: 'full_name', validate: name('The new name') });
      known('type', column?.type, "The column's type (to create the new column)", 'text');
      notNull('Is the column NOT NULL today?');
      keepDefault();
      break;
    case 'change-type':
      field('type', 'New type', { placeHolder: 'bigint' });
      known('fromType', column?.type, "The column's current type (its down converts back)", 'integer');
      field('using', 'Conversion from the old value (default: CAST(column AS type))', { optional: true, placeHolder: 'round(price * 100)::bigint' });
      field('to', 'A new name for the converted column (default: keep the name)', { optional: true, validate: name('The new name') });
      notNull('Is the column NOT NULL today?');
      keepDefault({ onlyNextval: true });
      break;
    case 'add-not-null-column':
      field('type', 'Type of the new column', { placeHolder: 'text' });
      field('default', 'Default for rows the running version inserts', { optional: true, placeHolder: "'active'" });
      field('backfill', 'Value for existing rows, may use their columns (default: the default)', { optional: true, placeHolder: "CASE WHEN banned THEN 'blocked' ELSE 'active' END" });
      break;
    case 'set-not-null':
      field('default', 'Default for rows the running version inserts', { optional: true, placeHolder: "''", value: column?.default });
      field('backfill', 'Value for the rows that are NULL now (default: the default)', { optional: true, placeHolder: "'unknown'" });
      break;
    case 'rename-table':
      field('to', 'New table name', { placeHolder: 'accounts', validate: name('The new name') });
      break;
    case 'split-table':
      field('to', 'New table', { placeHolder: 'user_profiles', validate: name('The new table') });
      steps.push(async () => {
        if (table) {
          const key = table.primaryKey?.length === 1 ? table.primaryKey[0] : undefined;
          const picks = await vscode.window.showQuickPick(
            table.columns.filter((c) => c.name !== key).map((c) => ({ label: c.name, description: c.type, column: c })),
            { title, placeHolder: 'Columns that move to the new table', canPickMany: true, ignoreFocusOut: true },
          );
          if (!picks || picks.length === 0) return false;
          request.columns = picks.map((p) => ({ name: p.column.name, type: p.column.type }));
          return true;
        }
        const value = await ask('Columns that move, with their types', { placeHolder: 'bio:text, avatar_url:varchar(300)', validate: (v) => messageOf(() => engine().parseColumnList(v)) });
        if (value === undefined) return false;
        request.columns = engine().parseColumnList(value);
        return true;
      });
      break;
    case 'drop-column':
      known('type', column?.type, "The column's type (to re-create it in the contract's down)", 'text');
      notNull('Is the column NOT NULL today?');
      steps.push(async () => {
        if (!request.notNull) return true;
        const value = await ask('Default for inserts that stop writing it while it still exists', { placeHolder: "''", value: column?.default });
        if (value === undefined) return false;
        request.default = value.trim();
        return true;
      });
      break;
  }
  const primaryKey = table?.primaryKey?.length === 1 ? table.primaryKey[0] : undefined;
  steps.push(async () => {
    const key = await ask('Key the backfill walks in order (unique, indexed)', { value: primaryKey ?? 'id', validate: name('The key') });
    if (key === undefined) return false;
    if (key.trim() !== 'id') request.key = engine().parseIdentifier(primaryKey === key.trim() ? `"${key.trim().replace(/"/g, '""')}"` : key, 'The key');
    return true;
  });
  if (kind !== 'rename-table') {
    steps.push(async () => {
      const size = await ask('Rows per committed batch', { value: '1000', validate: (v) => (/^[1-9]\d*$/.test(v.trim()) ? undefined : 'A positive whole number.') });
      if (size === undefined) return false;
      request.batchSize = Number(size.trim());
      return true;
    });
  }
  for (const step of steps) if (!(await step())) return undefined;
  return request;
}

/** A quick pick of known items that also accepts a typed name (a table a pending migration creates): the item, or the name typed. */
async function pickOrType<T>(title: string, what: string, items: (vscode.QuickPickItem & { item: T })[], check: (typed: string) => unknown): Promise<{ item?: T; typed?: string } | undefined> {
  const quickPick = vscode.window.createQuickPick<vscode.QuickPickItem & { item?: T }>();
  quickPick.title = title;
  quickPick.placeholder = items.length > 0 ? `${what} (from the dev database, or type a name)` : `${what} (type its name)`;
  quickPick.items = items;
  quickPick.ignoreFocusOut = true;
  quickPick.onDidChangeValue((value) => {
    const exact = items.some((i) => i.label === value);
    const problem = value.trim() === '' || exact ? undefined : messageOf(() => check(value));
    quickPick.items = value.trim() === '' || exact ? items : [...items, { label: value, description: problem ?? 'not in the dev database' }];
  });
  return new Promise((resolve) => {
    quickPick.onDidAccept(() => {
      const chosen = quickPick.selectedItems[0];
      if (!chosen) return;
      if (chosen.item === undefined && messageOf(() => check(chosen.label)) !== undefined) return; // the description says what is wrong
      resolve(chosen.item !== undefined ? { item: chosen.item } : { typed: chosen.label }); // before hide(), whose onDidHide resolves with undefined
      quickPick.hide();
    });
    quickPick.onDidHide(() => {
      quickPick.dispose();
      resolve(undefined);
    });
    quickPick.show();
  });
}

function tableLabel(t: CatalogTable): string {
  return t.schema === 'public' ? t.name : `${t.schema}.${t.name}`;
}

/** The migrations folder and format of the workspace folder of `folder` (or the active file, or a picked workspace folder). */
async function pickTarget(folder: vscode.Uri | undefined): Promise<ScaffoldTarget | undefined> {
  const workspace = folder ? vscode.workspace.getWorkspaceFolder(folder) : await pickWorkspaceFolder();
  if (!workspace && !folder) return undefined;
  const cwd = (workspace?.uri ?? folder!).fsPath;
  const host = engine().createDiskHost({ cache: false });
  return engine().resolveScaffoldTarget({ cwd, dir: folder && folder.fsPath !== cwd ? folder.fsPath : undefined, host });
}

async function pickWorkspaceFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const fromActive = active ? vscode.workspace.getWorkspaceFolder(active) : undefined;
  if (fromActive) return fromActive;
  if ((vscode.workspace.workspaceFolders ?? []).length === 0) {
    void vscode.window.showErrorMessage('zdm: open a folder first: new migrations go in its migrations folder.');
    return undefined;
  }
  return chooseWorkspaceFolder();
}

/** The explorer context menu passes the folder's URI; the palette passes nothing. */
function folderArgument(target: unknown): vscode.Uri | undefined {
  return target instanceof vscode.Uri && target.scheme === 'file' ? target : undefined;
}

function project(target: ScaffoldTarget) {
  return { dir: target.dir, format: target.format, host: engine().createDiskHost({ cache: false }) };
}

async function writeAndOpen(ctx: ScaffoldContext, outputs: ScaffoldOutput[], what: string): Promise<void> {
  const written = engine().writeScaffold(outputs);
  for (const file of written) ctx.log.info(`zdm: created ${file}`);
  const toOpen = outputs.map((o) => o.primary);
  for (const [i, file] of toOpen.entries()) {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    await vscode.window.showTextDocument(document, { preview: false, preserveFocus: i < toOpen.length - 1 });
  }
  if (what === 'trio') {
    void vscode.window.showInformationMessage(`zdm: created the trio ${outputs.map((o) => path.basename(o.primary)).join(', ')}. Ship each in its own deployment, in order.`);
  }
}

async function guarded(ctx: ScaffoldContext, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof engine().ScaffoldError) {
      void vscode.window.showErrorMessage(`zdm: ${error.message}`);
      return;
    }
    ctx.log.error(`zdm: ${error instanceof Error ? error.stack : String(error)}`);
    void vscode.window.showErrorMessage(`zdm: could not create the migration: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function messageOf(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    return error instanceof engine().ScaffoldError ? error.message : String(error);
  }
}

function displayPath(dir: string): string {
  const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dir));
  return folder ? path.relative(folder.uri.fsPath, dir) || '.' : dir;
}
