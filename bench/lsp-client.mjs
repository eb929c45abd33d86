// A minimal LSP client over stdio for the benchmarks: spawns the built server, speaks JSON-RPC with
// Content-Length framing, and timestamps every message on arrival (no library between the pipe and
// the clock, so client-observed latencies include only the server and the pipe).

import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';

export class BenchLspClient {
  constructor(child) {
    this.child = child;
    this.nextId = 1;
    this.pending = new Map();
    /** Listeners per notification method: (params, arrivedAt) => void */
    this.listeners = new Map();
    this.buffer = Buffer.alloc(0);
    this.stderr = '';
    child.stdout.on('data', (chunk) => this.receive(chunk));
    child.stderr.on('data', (d) => (this.stderr += d.toString()));
  }

  /** Starts `node dist/cli.js server --stdio` with the given environment additions. */
  static async start({ cli, env = {}, rootPath, initializationOptions = { debounceMs: 0 }, settings = {} }) {
    const child = spawn(process.execPath, [cli, 'server', '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    const client = new BenchLspClient(child);
    client.onRequest = (method, params) => {
      if (method === 'workspace/configuration') return params.items.map(() => settings);
      return null;
    };
    await client.request('initialize', {
      processId: process.pid,
      rootUri: rootPath ? pathToFileURL(rootPath).toString() : null,
      capabilities: {
        workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
        // As VS Code declares them: diagnostics carry data, and code actions' edits can be resolved later
        // (the server then sends the fixes that move statements to a new migration without their edits).
        textDocument: {
          publishDiagnostics: { versionSupport: true, codeDescriptionSupport: true, dataSupport: true },
          codeAction: { dataSupport: true, resolveSupport: { properties: ['edit'] } },
        },
      },
      initializationOptions,
      workspaceFolders: null,
    });
    client.notify('initialized', {});
    return client;
  }

  get pid() {
    return this.child.pid;
  }

  receive(chunk) {
    const arrivedAt = performance.now();
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd === -1) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const length = Number(/Content-Length: *(\d+)/i.exec(header)?.[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      this.dispatch(JSON.parse(body), arrivedAt);
    }
  }

  dispatch(message, arrivedAt) {
    if (message.id !== undefined && message.method === undefined) {
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error.message));
      else waiter?.resolve(message.result);
      return;
    }
    if (message.id !== undefined) {
      // A request from the server (configuration, registration): answer it.
      this.send({ jsonrpc: '2.0', id: message.id, result: this.onRequest(message.method, message.params) });
      return;
    }
    for (const listener of this.listeners.get(message.method) ?? []) listener(message.params, arrivedAt);
  }

  on(method, listener) {
    if (!this.listeners.has(method)) this.listeners.set(method, []);
    this.listeners.get(method).push(listener);
    return () => {
      const list = this.listeners.get(method);
      list.splice(list.indexOf(listener), 1);
    };
  }

  send(message) {
    const body = Buffer.from(JSON.stringify(message), 'utf8');
    this.child.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.child.stdin.write(body);
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ jsonrpc: '2.0', id, method, params });
    });
  }

  notify(method, params) {
    this.send({ jsonrpc: '2.0', method, params });
  }

  /** Resolves with the first notification of `method` for which `match(params)` holds. */
  waitFor(method, match, timeoutMs = 60_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`Timed out waiting for ${method}. Server stderr:\n${this.stderr}`));
      }, timeoutMs);
      const off = this.on(method, (params, arrivedAt) => {
        if (!match(params)) return;
        clearTimeout(timer);
        off();
        resolve({ params, arrivedAt });
      });
    });
  }

  open(filePath, text, version = 1) {
    const uri = pathToFileURL(filePath).toString();
    this.notify('textDocument/didOpen', { textDocument: { uri, languageId: 'sql', version, text } });
    return uri;
  }

  change(uri, version, contentChanges) {
    this.notify('textDocument/didChange', { textDocument: { uri, version }, contentChanges });
  }

  async stop() {
    try {
      await Promise.race([this.request('shutdown', null), new Promise((r) => setTimeout(r, 2000))]);
      this.notify('exit', null);
    } catch {
      // already gone
    }
    if (this.child.exitCode === null) {
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          this.child.kill('SIGKILL');
          resolve();
        }, 3000);
        this.child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
