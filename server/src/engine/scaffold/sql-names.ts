// Names and SQL fragments the user types for scaffolding (`public.users.name`, `varchar(200)`,
// `lower(email)`): read the way PostgreSQL reads them (unquoted names fold to lower case, "quoted"
// ones keep their case), written back quoted where needed.

import { quoteIdent } from '../sql/ast';
import { lex } from '../sql/lexer';
import { ScaffoldError } from './naming';
import { sqlLiteral } from '../sql/quote';

export { quoteIdent } from '../sql/ast';

export interface TableName {
  schema?: string;
  name: string;
}

/** Splits `a.b."C"` into its parts, folding unquoted parts to lower case. */
export function splitName(text: string): string[] {
  const parts: string[] = [];
  let i = 0;
  const s = text.trim();
  while (i < s.length) {
    if (s[i] === '"') {
      let j = i + 1;
      let part = '';
      for (;;) {
        if (j >= s.length) throw new ScaffoldError(`Unterminated quoted name in "${text}".`);
        if (s[j] === '"' && s[j + 1] === '"') {
          part += '"';
          j += 2;
        } else if (s[j] === '"') break;
        else part += s[j++];
      }
      parts.push(part);
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== '.') j++;
      const part = s.slice(i, j).trim().toLowerCase();
      if (part !== '' && !/^[\p{L}_][\p{L}\p{N}_$]*$/u.test(part)) {
        throw new ScaffoldError(`"${part}" is not a valid identifier; quote it ("${part}") if that is its real name.`);
      }
      parts.push(part);
      i = j;
    }
    if (i < s.length) {
      if (s[i] !== '.') throw new ScaffoldError(`Unexpected "${s[i]}" in the name "${text}".`);
      i++;
      if (i === s.length) parts.push('');
    }
  }
  if (parts.length === 0 || parts.some((p) => p === '')) throw new ScaffoldError(`"${text}" is not a valid name.`);
  return parts;
}

/** `users` or `public.users`. */
export function parseTableName(text: string): TableName {
  const parts = splitName(text);
  if (parts.length > 2) throw new ScaffoldError(`"${text}" has too many parts for a table name (expected table or schema.table).`);
  return parts.length === 2 ? { schema: parts[0], name: parts[1] } : { name: parts[0] };
}

/** `users.name` or `public.users.name`: the table and the column. */
export function parseColumnRef(text: string): { table: TableName; column: string } {
  const parts = splitName(text);
  if (parts.length < 2) throw new ScaffoldError(`"${text}" needs a table and a column: table.column (or schema.table.column).`);
  if (parts.length > 3) throw new ScaffoldError(`"${text}" has too many parts (expected table.column or schema.table.column).`);
  const column = parts[parts.length - 1];
  const table = parts.length === 3 ? { schema: parts[0], name: parts[1] } : { name: parts[0] };
  return { table, column };
}

/** One identifier (a column or a new table name). */
export function parseIdentifier(text: string, what: string): string {
  const parts = splitName(text);
  if (parts.length !== 1) throw new ScaffoldError(`${what} must be a single name, not "${text}".`);
  return parts[0];
}

/** `bio:text,price:numeric(10,2)`: commas inside parentheses belong to the type. */
export function parseColumnList(text: string): { name: string; type: string }[] {
  const items: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      items.push(current);
      current = '';
    } else current += ch;
  }
  items.push(current);
  return items
    .filter((i) => i.trim() !== '')
    .map((item) => {
      const colon = item.indexOf(':');
      if (colon === -1) throw new ScaffoldError(`--columns: "${item.trim()}" needs a type (name:type), so the contract's down can re-create the column.`);
      return { name: parseIdentifier(item.slice(0, colon), '--columns'), type: item.slice(colon + 1).trim() };
    });
}

/** The table as SQL: `users`, `public.users`, `"Users"`. */
export function tableSql(table: TableName): string {
  return table.schema !== undefined ? `${quoteIdent(table.schema)}.${quoteIdent(table.name)}` : quoteIdent(table.name);
}

/** A name in the table's schema: for functions created beside the table. */
export function inSchemaOf(table: TableName, name: string): string {
  return table.schema !== undefined ? `${quoteIdent(table.schema)}.${quoteIdent(name)}` : quoteIdent(name);
}

/** The table as a string literal for catalog lookups (to_regclass). */
export function tableLiteral(table: TableName): string {
  return sqlLiteral(tableSql(table));
}

/** An identifier built from parts, cut to PostgreSQL's 63 bytes (with a short hash when cut, so names stay distinct). */
export function generatedName(...parts: string[]): string {
  const name = parts.join('_');
  if (Buffer.byteLength(name, 'utf8') <= 63) return name;
  // node:crypto is loaded only here, for the rare name that needs cutting (see runner/record.ts).
  const hash = (require('node:crypto') as typeof import('node:crypto')).createHash('sha256').update(name).digest('hex').slice(0, 8);
  let cut = name;
  while (Buffer.byteLength(cut, 'utf8') > 54) cut = cut.slice(0, -1);
  return `${cut.replace(/_+$/, '')}_${hash}`;
}

/** Checks a SQL fragment typed by the user (a type, an expression): one piece of SQL, no statement separator. */
export function sqlFragment(text: string, what: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw new ScaffoldError(`${what} is empty.`);
  for (const token of lex(trimmed)) {
    if (token.unterminated) throw new ScaffoldError(`${what} "${trimmed}" has an unterminated quote or comment.`);
    if (token.kind === 'punct' && trimmed.slice(token.start, token.end) === ';') throw new ScaffoldError(`${what} "${trimmed}" must be one SQL expression, without ";".`);
    if (token.kind === 'line-comment' || token.kind === 'block-comment') throw new ScaffoldError(`${what} "${trimmed}" must not hold comments.`);
  }
  return trimmed;
}
