// Java .properties files, read as java.util.Properties.load(Reader) reads them: the one reader behind
// liquibase.properties (runner/liquibase-master.ts) and Flyway's flyway.conf and script configuration
// files (readFlywayConf below, which first rewrites the text as Flyway does).
//
// The grammar (Properties.load's Javadoc):
// - Natural lines end at \n, \r or \r\n. A line holding only whitespace (space, tab, form feed) is blank.
//   A line whose first non-whitespace character is `#` or `!` is a comment, and a comment is never
//   continued onto the next line.
// - A logical line continues onto the next natural line when it ends with an odd number of
//   backslashes: the last backslash, the line terminator and the next line's leading whitespace are
//   dropped (a `#` that starts a continuation line is data, not a comment).
// - The key runs from the first non-whitespace character to the first unescaped `=`, `:` or
//   whitespace. Whitespace after the key is skipped, then one `=` or `:` if there is one, then
//   whitespace again; the rest of the line is the value (its trailing whitespace kept). `key=value`,
//   `key: value`, `key value` and `key` (empty value) are all pairs.
// - Then, in key and value, escapes: `\t`, `\n`, `\r`, `\f`, `\uXXXX` (one UTF-16 code unit); a
//   backslash before any other character stands for that character (`\=`, `\:`, `\ `, `\\`, `\#`).
// - A key given twice: the later value wins.
//
// One departure: where Java throws IllegalArgumentException ("Malformed \uxxxx encoding.") for `\u`
// not followed by four hex digits, this reader keeps those characters as written, backslash included.
// Liquibase itself would stop on such a file; the settings read here are a best effort, not a check.

/** Whitespace as Properties.load counts it (not \n or \r, which end lines). */
const isBlank = (c: string) => c === ' ' || c === '\t' || c === '\f';

/**
 * The logical lines of `text`, comments and blank lines left out, continuations joined (their escapes
 * not yet processed): Properties.LineReader.readLine (JDK 9 and later), step for step. A comment is
 * recognized while the logical line is still empty, so also on the line a lone backslash continues
 * onto; a lone backslash at the very end makes an empty line (the pair "" = ""), as in Java.
 */
function logicalLines(text: string): string[] {
  const lines: string[] = [];
  const n = text.length;
  let i = 0;
  let line = '';
  let skipWhiteSpace = true;
  let appendedLineBegin = false;
  let precedingBackslash = false;
  const end = () => {
    lines.push(precedingBackslash ? line.slice(0, -1) : line);
    line = '';
    skipWhiteSpace = true;
    appendedLineBegin = false;
    precedingBackslash = false;
  };
  while (i < n) {
    const c = text[i++];
    if (skipWhiteSpace) {
      if (isBlank(c)) continue;
      if (!appendedLineBegin && (c === '\n' || c === '\r')) continue;
      skipWhiteSpace = false;
      appendedLineBegin = false;
    }
    if (line.length === 0 && (c === '#' || c === '!')) {
      // A comment: the rest of the natural line, its terminator too.
      while (i < n && text[i] !== '\n' && text[i] !== '\r') i++;
      i++;
      skipWhiteSpace = true;
      continue;
    }
    if (c !== '\n' && c !== '\r') {
      line += c;
      precedingBackslash = c === '\\' ? !precedingBackslash : false;
      continue;
    }
    // The end of a natural line.
    if (line.length === 0) {
      skipWhiteSpace = true;
    } else if (i >= n || !precedingBackslash) {
      end();
    } else {
      // Continued: the backslash and the terminator go, and the next line's leading whitespace.
      line = line.slice(0, -1);
      skipWhiteSpace = true;
      appendedLineBegin = true;
      precedingBackslash = false;
      if (c === '\r' && text[i] === '\n') i++;
    }
  }
  if (line.length > 0) end();
  return lines;
}

/** Escapes of a key or value resolved (Properties.loadConvert). */
function unescape(raw: string): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const next = raw[++i];
    if (next === 'u') {
      const hex = raw.slice(i + 1, i + 5);
      if (/^[0-9a-fA-F]{4}$/.test(hex)) {
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
      } else out += '\\u';
      continue;
    }
    out += next === 't' ? '\t' : next === 'n' ? '\n' : next === 'r' ? '\r' : next === 'f' ? '\f' : next;
  }
  return out;
}

/** A logical line as its key and value (Properties.load0). */
function pair(line: string): [string, string] {
  let keyEnd = 0;
  let valueStart = line.length;
  let hasSeparator = false;
  let escaped = false;
  for (; keyEnd < line.length; keyEnd++) {
    const c = line[keyEnd];
    if (!escaped && (c === '=' || c === ':')) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!escaped && isBlank(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    escaped = c === '\\' ? !escaped : false;
  }
  while (valueStart < line.length) {
    const c = line[valueStart];
    if (!isBlank(c)) {
      if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
      else break;
    }
    valueStart++;
  }
  return [unescape(line.slice(0, keyEnd)), unescape(line.slice(valueStart))];
}

/** The key-value pairs of a .properties text, as java.util.Properties.load reads them (see the top of this file). */
export function readJavaProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of logicalLines(text)) {
    const [key, value] = pair(line);
    out.set(key, value);
  }
  return out;
}

/** Java's String.trim: every character up to U+0020 removed from both ends. */
export function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

/**
 * A Flyway configuration file (flyway.conf, a script's `.sql.conf`) as Flyway reads it
 * (ConfigUtils.loadConfigurationFromString): each line trimmed and its backslashes doubled, so that a
 * backslash is a plain character (`C:\tools`, `\t`, `\u0041` stay as written), except one ending a line
 * whose next line is not empty and is not itself a `flyway.` setting with `=` (unless it continues a
 * boolean expression: `==` or `!=`, not a `shouldExecute` line), which continues the value there. Then
 * `${NAME}` is replaced by the environment variable NAME (empty when unset) when `env` is given
 * (flyway.conf; Flyway reads script configuration files raw), and the result is read as a .properties
 * text.
 */
export function readFlywayConf(text: string, env?: NodeJS.ProcessEnv): Map<string, string> {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let rewritten = '';
  for (let i = 0; i < lines.length; i++) {
    let line = javaTrim(lines[i]).replace(/\\/g, '\\\\');
    const next = lines[i + 1];
    if (line.endsWith('\\\\') && next !== undefined && next !== '') {
      const setting = javaTrim(next).startsWith('flyway.') && next.includes('=');
      const booleanExpression = !next.startsWith('shouldExecute') && (next.includes('==') || next.includes('!='));
      if (!setting || booleanExpression) line = line.slice(0, -1);
    }
    rewritten += line + '\n';
  }
  if (env) rewritten = rewritten.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => env[name] ?? '');
  return readJavaProperties(rewritten);
}
