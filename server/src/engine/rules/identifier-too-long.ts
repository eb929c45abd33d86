import type { Statement } from '../model';
import { addedColumns, bodyOf } from '../sql/ast';
import { schemaChanges } from '../sql/classify';
import { identifierOf } from '../sql/lexer';
import { statementTokens } from '../sql/tokens';
import type { Rule } from './types';

const MAX_BYTES = 63;

export const identifierTooLong: Rule = {
  id: 'identifier-too-long',
  family: 'style',
  summary: 'A name longer than 63 bytes, which PostgreSQL silently truncates',
  defaultLevel: 'info',
  sameAs: ['squawk: identifier-too-long'],
  docs: {
    why: "PostgreSQL keeps at most 63 bytes of an identifier (NAMEDATALEN - 1) and cuts the rest with only a NOTICE. The object gets a different name than the one written: code, ORMs and later migrations that use the full name may not find it, and two long names that share their first 63 bytes collide (`already exists`).",
    instead: 'Shorten the name to 63 bytes or less (bytes, not characters: accented letters take two).',
    invalid: [{ sql: 'CREATE INDEX index_on_community_moderator_by_person_and_community_and_published_date ON community_moderator (person_id, community_id, published);' }],
    valid: [{ sql: 'CREATE INDEX community_moderator_person_community_published_idx ON community_moderator (person_id, community_id, published);' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (s.section.kind === 'down') continue; // a down restores the old schema as it was
      const defined = definedNames(s);
      if (defined.size === 0) continue;
      const source = s.section.source;
      const seen = new Set<string>();
      for (const t of statementTokens(s)) {
        if (t.kind !== 'word' && t.kind !== 'quoted-ident') continue;
        // Each UTF-16 unit of the token is at most 3 bytes of the name, case-folded or unquoted.
        if (t.end - t.start <= MAX_BYTES / 3) continue;
        const name = identifierOf(source, t);
        if (name === undefined || Buffer.byteLength(name) <= MAX_BYTES) continue;
        const cut = truncate(name);
        if (!defined.has(cut) || seen.has(name)) continue;
        seen.add(name);
        context.report({
          statement: s,
          span: { start: t.start, end: t.end },
          message: `This name is ${Buffer.byteLength(name)} bytes long: PostgreSQL truncates it to its first 63 bytes ("${cut}") and uses that name instead.`,
          help: 'Shorten it to 63 bytes or less.',
        });
      }
    }
  },
};

/**
 * Names the statement defines (already truncated by the parser, as PostgreSQL stores them) that can be
 * a truncation: at least 60 bytes (`truncate` stops short of 63 bytes only to keep a character of up to
 * 4 bytes whole). Most statements define none, and their tokens are not looked at.
 */
function definedNames(s: Statement): Set<string> {
  const out = new Set<string>();
  const add = (name: string) => {
    if (Buffer.byteLength(name) >= MAX_BYTES - 3) out.add(name);
  };
  for (const c of schemaChanges(s.node)) if ((c.action === 'create' || c.action === 'replace' || c.action === 'rename-to') && !c.generatedName) add(c.name);
  for (const a of addedColumns(s.node)) if (a.column.colname) add(a.column.colname);
  for (const e of bodyOf(s.node, 'CreateStmt')?.tableElts ?? []) if (e.Constraint?.conname) add(e.Constraint.conname);
  for (const e of bodyOf(s.node, 'CreateStmt')?.tableElts ?? []) for (const c of e.ColumnDef?.constraints ?? []) if (c.Constraint?.conname) add(c.Constraint.conname);
  return out;
}

/** The first 63 bytes, without splitting a multi-byte character (as PostgreSQL's truncate_identifier does). */
function truncate(name: string): string {
  let bytes = 0;
  let out = '';
  for (const ch of name) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > MAX_BYTES) break;
    bytes += n;
    out += ch;
  }
  return out;
}
