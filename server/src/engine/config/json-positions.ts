// Where things are in a config file's JSON, for problems that point at their place: the span of each
// key (by its dotted path, as ConfigProblem.key names it) and the offset of the first syntax error.
// Both read the text after stripJsonComments, which keeps every offset where it was.

import type { Span } from '../text/offsets';

/** The span of each object key (quotes included) by its dotted path ("rules.require-lock-timeout"); the first one when a key repeats. Keys inside arrays are left out. */
export function jsonKeySpans(json: string): Map<string, Span> {
  const spans = new Map<string, Span>();
  // Each open container: an object's last key read, or null for an array (nothing under it is named).
  const stack: { array: boolean; key?: string; path: string | null }[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      const end = stringEnd(json, i);
      const top = stack[stack.length - 1];
      let j = end;
      while (j < json.length && WHITESPACE.has(json[j])) j++;
      if (top && !top.array && json[j] === ':') {
        top.key = keyText(json.slice(i, end));
        if (top.path !== null) {
          const path = top.path === '' ? top.key : `${top.path}.${top.key}`;
          if (!spans.has(path)) spans.set(path, { start: i, end });
        }
      }
      i = end - 1;
    } else if (c === '{' || c === '[') {
      const top = stack[stack.length - 1];
      const path = !top ? '' : top.array || top.path === null || top.key === undefined ? null : top.path === '' ? top.key : `${top.path}.${top.key}`;
      stack.push({ array: c === '[', path: c === '[' ? null : path });
    } else if (c === '}' || c === ']') {
      stack.pop();
    }
  }
  return spans;
}

/** The offset of the first thing that keeps `json` from being one JSON value, or undefined when it is one. */
export function jsonErrorOffset(json: string): number | undefined {
  let i = 0;
  const fail = (at: number): never => {
    throw new JsonError(at);
  };
  const ws = () => {
    while (i < json.length && WHITESPACE.has(json[i])) i++;
  };
  const value = (): void => {
    ws();
    const c = json[i];
    if (c === '{') {
      i++;
      ws();
      if (json[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        if (json[i] !== '"') fail(i);
        string();
        ws();
        if (json[i] !== ':') fail(i);
        i++;
        value();
        ws();
        if (json[i] === ',') i++;
        else if (json[i] === '}') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '[') {
      i++;
      ws();
      if (json[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (json[i] === ',') i++;
        else if (json[i] === ']') {
          i++;
          return;
        } else fail(i);
      }
    } else if (c === '"') {
      string();
    } else {
      const m = LITERAL.exec(json.slice(i, i + 400));
      if (!m || m[0] === '') fail(i);
      i += m![0].length;
    }
  };
  const string = () => {
    const end = stringEnd(json, i);
    if (json[end - 1] !== '"' || end === i + 1) fail(i);
    try {
      JSON.parse(json.slice(i, end));
    } catch {
      fail(i);
    }
    i = end;
  };
  try {
    value();
    ws();
    return i < json.length ? i : undefined;
  } catch (error) {
    if (error instanceof JsonError) return Math.min(error.at, json.length);
    throw error;
  }
}

class JsonError {
  constructor(readonly at: number) {}
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
const LITERAL = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/;

/** The end of the string literal opening at `start` (after its closing quote, or the text's end). */
function stringEnd(json: string, start: number): number {
  let j = start + 1;
  while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
  return Math.min(j + 1, json.length);
}

function keyText(literal: string): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return literal.slice(1, -1);
  }
}
