// Cutting a child process's output into lines as its chunks arrive (no VS Code API: tested alone).

/** Collects chunks of text and hands out each complete line once; `rest` is what follows the last newline. */
export class LineBuffer {
  private pending = '';

  /** Adds a chunk; returns the lines it completed (without their newline). */
  push(text: string): string[] {
    this.pending += text;
    const lines = this.pending.split('\n');
    this.pending = lines.pop() ?? '';
    return lines;
  }

  /** The text after the last newline (the last line, when the stream ended without one). */
  get rest(): string {
    return this.pending;
  }
}
