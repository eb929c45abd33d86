// A scripted stand-in for the `vscode` module, enough for the scaffolding commands, the Migrations
// view's refresh and the runner's commands: input boxes, quick picks and modal questions answer from a
// queue (checking validateInput like the real one), opened documents are recorded, file-system watchers
// see the real file system. Installed before client code is loaded; the real editor tests live in
// test/e2e.

import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import picomatch from 'picomatch';

export interface FakeVscode {
  answers: unknown[];
  /** What the commands showed and did, in order: [kind, prompt or path, answer]. */
  log: unknown[][];
  /** The workspace folder's path. */
  root: string;
  trusted: boolean;
  /** The zdm.database.url setting (without password). */
  settingsUrl?: string;
  /** The secret storage's contents. */
  secrets: Map<string, string>;
}

export function installFakeVscode(root: string): FakeVscode {
  const state: FakeVscode = { answers: [], log: [], root, trusted: true, secrets: new Map() };
  class Uri {
    readonly scheme = 'file';
    constructor(readonly fsPath: string) {}
    static file(p: string) {
      return new Uri(p);
    }
    static joinPath(base: Uri, ...parts: string[]) {
      return new Uri(path.join(base.fsPath, ...parts));
    }
  }
  const next = (kind: string, prompt: string | undefined) => {
    if (state.answers.length === 0) throw new Error(`no scripted answer for ${kind} "${prompt}"`);
    const answer = state.answers.shift();
    state.log.push([kind, prompt, answer]);
    return answer;
  };
  class EventEmitter<T> {
    private listeners: ((e: T) => void)[] = [];
    readonly event = (listener: (e: T) => void) => {
      this.listeners.push(listener);
      return { dispose: () => (this.listeners = this.listeners.filter((l) => l !== listener)) };
    };
    fire(e: T) {
      for (const l of [...this.listeners]) l(e);
    }
    dispose() {
      this.listeners = [];
    }
  }
  /** A file-system watcher on the workspace folder, backed by the real file system (fs.watch). */
  const createFileSystemWatcher = (glob: string) => {
    const [created, changed, deleted] = [new EventEmitter<Uri>(), new EventEmitter<Uri>(), new EventEmitter<Uri>()];
    const matches = picomatch(glob, { dot: true });
    const watcher = fs.watch(state.root, { recursive: true }, (type, name) => {
      if (!name || !matches(String(name))) return;
      const full = path.join(state.root, String(name));
      state.log.push(['watched', type, full]);
      (type === 'change' ? changed : fs.existsSync(full) ? created : deleted).fire(Uri.file(full));
    });
    return {
      onDidCreate: created.event,
      onDidChange: changed.event,
      onDidDelete: deleted.event,
      dispose: () => watcher.close(),
    };
  };
  const fake = {
    Uri,
    EventEmitter,
    ProgressLocation: { Window: 10, Notification: 15 },
    workspace: {
      get isTrusted() {
        return state.trusted;
      },
      get workspaceFolders() {
        return [{ uri: Uri.file(state.root), name: 'project', index: 0 }];
      },
      getWorkspaceFolder: () => ({ uri: Uri.file(state.root), name: 'project', index: 0 }),
      getConfiguration: () => ({ get: <T>(key: string, fallback: T) => (key === 'database.url' && state.settingsUrl !== undefined ? state.settingsUrl : fallback) }),
      openTextDocument: async (uri: Uri) => ({ uri }),
      createFileSystemWatcher,
    },
    window: {
      activeTextEditor: undefined,
      async showInputBox(options: { prompt?: string; validateInput?: (v: string) => string | undefined }) {
        const answer = next('input', options.prompt) as string | undefined;
        const problem = answer !== undefined ? options.validateInput?.(answer) : undefined;
        if (problem) {
          state.log.push(['invalid', options.prompt, problem]);
          return undefined; // the user gives up
        }
        return answer;
      },
      async showQuickPick(items: unknown, options: { placeHolder?: string; canPickMany?: boolean }) {
        const list = (await items) as (string | { label: string })[];
        const answer = next('pick', options.placeHolder);
        const label = (i: string | { label: string }) => (typeof i === 'string' ? i : i.label);
        if (options.canPickMany) return list.filter((i) => (answer as string[]).includes(label(i)));
        return list.find((i) => label(i) === answer);
      },
      createQuickPick() {
        const handlers: Record<string, (value?: unknown) => void> = {};
        const pick = {
          title: '',
          placeholder: '',
          ignoreFocusOut: false,
          value: '',
          items: [] as { label: string }[],
          selectedItems: [] as { label: string }[],
          onDidChangeValue: (f: (v: unknown) => void) => (handlers.change = f),
          onDidAccept: (f: () => void) => (handlers.accept = f),
          onDidHide: (f: () => void) => (handlers.hide = f),
          hide: () => handlers.hide?.(),
          dispose: () => undefined,
          show() {
            const answer = next('quickpick', pick.placeholder) as string;
            state.log.push(['offered', pick.placeholder, pick.items.map((i) => i.label)]);
            pick.value = answer;
            handlers.change?.(answer);
            const chosen = pick.items.find((i) => i.label === answer);
            pick.selectedItems = chosen ? [chosen] : [];
            handlers.accept?.();
          },
        };
        return pick;
      },
      withProgress: async (options: { title?: string }, task: (progress: unknown, token: unknown) => Promise<unknown>) => {
        state.log.push(['progress', options.title]);
        return task({ report: () => undefined }, { onCancellationRequested: () => ({ dispose: () => undefined }) });
      },
      showTextDocument: async (document: { uri: Uri }) => state.log.push(['open', document.uri.fsPath]),
      showInformationMessage: async (message: string) => state.log.push(['info', message]),
      showErrorMessage: async (message: string) => state.log.push(['error', message]),
      // A modal question is answered from the queue (a button's title, or undefined: Cancel); a notification is only recorded.
      showWarningMessage: async (message: string, ...rest: unknown[]) => {
        const options = rest[0] as { modal?: boolean; detail?: string } | undefined;
        if (!options?.modal) return void state.log.push(['warning', message]);
        state.log.push(['modal', message, options.detail, rest.slice(1)]);
        return next('answer', message);
      },
      showWorkspaceFolderPick: async () => undefined,
    },
  };
  const mod = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = mod._resolveFilename;
  mod._resolveFilename = function (request: string, ...rest: unknown[]) {
    return request === 'vscode' ? 'vscode' : original.call(this, request, ...rest);
  };
  require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: fake } as unknown as NodeJS.Module;
  // The language client's classes extend the editor's, which the stand-in has not: the runner only takes
  // a notification type from it (telling the server that .zdm/applied.json changed).
  const languageClient = require.resolve('vscode-languageclient/node');
  const exports = { DidChangeWatchedFilesNotification: { type: 'workspace/didChangeWatchedFiles' }, FileChangeType: { Created: 1, Changed: 2, Deleted: 3 } };
  require.cache[languageClient] = { id: languageClient, filename: languageClient, loaded: true, exports } as unknown as NodeJS.Module;
  return state;
}
