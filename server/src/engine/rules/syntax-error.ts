import type { Rule } from './types';

export const syntaxError: Rule = {
  id: 'syntax-error',
  family: 'files',
  summary: 'A statement that PostgreSQL cannot parse',
  defaultLevel: 'error',
  sameAs: ['squawk: syntax-error'],
  docs: {
    why: 'The statement does not parse with the PostgreSQL grammar (libpg-query, PostgreSQL 18), so the migration would fail when it runs. Only the broken statement is marked; every other statement in the file is still parsed and linted.',
    invalid: [{ sql: 'CREATE TABLE users (id bigint PRIMARY KEY,);' }, { sql: "INSERT INTO notes (body) VALUES ('unterminated);" }],
    valid: [{ sql: 'CREATE TABLE users (id bigint PRIMARY KEY);' }],
  },
  check(context) {
    // Indexed loops: without the optimizing compiler `for ... of` allocates per element.
    for (let i = 0; i < context.statements.length; i++) {
      const s = context.statements[i];
      if (!s.error) continue;
      const start = Math.min(Math.max(s.error.offset, s.span.start), s.span.end);
      let end = start;
      const source = s.section.source;
      // Underline the token at the error position (up to the next whitespace), at least one character.
      while (end < s.span.end && !/\s/.test(source[end])) end++;
      if (end === start) end = Math.min(start + 1, Math.max(s.span.end, start + 1));
      context.report({ statement: s, span: { start, end: Math.min(end, start + 80) }, message: capitalize(s.error.message) + '.' });
    }
  },
};

function capitalize(message: string): string {
  const m = message.replace(/\.$/, '');
  return m.charAt(0).toUpperCase() + m.slice(1);
}
