import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lex, type Token } from '../../server/src/engine/sql/lexer';
import { splitStatements } from '../../server/src/engine/sql/split';

const kinds = (sql: string) => lex(sql).map((t: Token) => `${t.kind}:${sql.slice(t.start, t.end)}${t.unterminated ? '!' : ''}`);
const statements = (sql: string) => splitStatements(sql).statements.map((s) => sql.slice(s.span.start, s.span.end));

describe('lexer', () => {
  it('reads strings with doubled quotes, E-strings with backslash escapes, and prefixed strings', () => {
    assert.deepEqual(kinds("'it''s' E'a\\'b' B'01' X'ff' N'n' U&'d\\0061'"), ["string:'it''s'", "string:E'a\\'b'", "string:B'01'", "string:X'ff'", "string:N'n'", "string:U&'d\\0061'"]);
  });

  it('does not treat a backslash as an escape in a standard string', () => {
    assert.deepEqual(kinds("'a\\' b"), ["string:'a\\'", 'word:b']);
  });

  it('reads dollar quotes with and without tags, and tells them from parameters', () => {
    assert.deepEqual(kinds('$$a;b$$ $fn$ x $$ y $fn$ $1 a$b'), ['dollar-string:$$a;b$$', 'dollar-string:$fn$ x $$ y $fn$', 'param:$1', 'word:a$b']);
  });

  it('nests block comments and keeps line comments', () => {
    assert.deepEqual(kinds('/* a /* b */ c */ x -- tail\ny'), ['block-comment:/* a /* b */ c */', 'word:x', 'line-comment:-- tail', 'word:y']);
  });

  it('reads quoted identifiers with doubled quotes', () => {
    assert.deepEqual(kinds('"My ""Table""" U&"x"'), ['quoted-ident:"My ""Table"""', 'quoted-ident:U&"x"']);
  });

  it('marks an unterminated quote, dollar quote or comment as one token from its opening to the end', () => {
    assert.deepEqual(kinds("select 'abc; select 1;"), ['word:select', "string:'abc; select 1;!"]);
    assert.deepEqual(kinds('do $body$ begin; end;'), ['word:do', 'dollar-string:$body$ begin; end;!']);
    assert.deepEqual(kinds('x /* /* */ y'), ['word:x', 'block-comment:/* /* */ y!']);
    assert.deepEqual(kinds('"abc'), ['quoted-ident:"abc!']);
  });

  it('counts offsets in UTF-16 code units', () => {
    const sql = "select '😀é' as x";
    const tokens = lex(sql);
    assert.equal(tokens[1].end - tokens[1].start, 5); // ' + surrogate pair (2) + é + '
    assert.equal(sql.slice(tokens[3].start, tokens[3].end), 'x');
  });

  it('ends a psql meta-command at the line end or at a \\\\ separator, where SQL goes on', () => {
    assert.deepEqual(kinds('\\set ON_ERROR_STOP 1\nBEGIN;'), ['backslash:\\set ON_ERROR_STOP 1', 'word:BEGIN', 'punct:;']);
    assert.deepEqual(kinds('\\x \\\\ SELECT 1;'), ['backslash:\\x \\\\', 'word:SELECT', 'number:1', 'punct:;']);
    // An unquoted backslash starts the next meta-command; a quoted one does not.
    assert.deepEqual(kinds("\\echo a \\echo 'b \\\\ c''d' \"e \\\\\" `f \\\\`\nx"), ['backslash:\\echo a ', "backslash:\\echo 'b \\\\ c''d' \"e \\\\\" `f \\\\`", 'word:x']);
    // An unclosed quote ends with its line; so does a meta-command at the end of the text.
    assert.deepEqual(kinds("\\echo 'a\nSELECT 1; \\echo"), ["backslash:\\echo 'a", 'word:SELECT', 'number:1', 'punct:;', 'backslash:\\echo']);
  });

  it('reads \\copy, \\! and \\sf to the line end, and \\g |cmd too', () => {
    assert.deepEqual(kinds("\\copy t from 'f' \\\\ x\ny"), ["backslash:\\copy t from 'f' \\\\ x", 'word:y']);
    assert.deepEqual(kinds('\\! ls \\\\ x\n\\g |cat \\\\ x\n\\g \\\\ x'), ['backslash:\\! ls \\\\ x', 'backslash:\\g |cat \\\\ x', 'backslash:\\g \\\\', 'word:x']);
  });

  it("reads psql's \\; and \\: as two characters", () => {
    assert.deepEqual(kinds('SELECT 1 \\; SELECT \\:x'), ['word:SELECT', 'number:1', 'backslash:\\;', 'word:SELECT', 'backslash:\\:', 'word:x']);
  });

  it('stops operators at a comment start', () => {
    assert.deepEqual(kinds('a +-- c\nb'), ['word:a', 'operator:+', 'line-comment:-- c', 'word:b']);
  });
});

describe('statement splitting', () => {
  it('splits at semicolons outside strings, comments, dollar quotes and parentheses', () => {
    assert.deepEqual(statements("select ';'; select $$;$$; /* ; */ select 1;\ncreate rule r as on insert to t do also (insert into a values (1); insert into b values (2));"), [
      "select ';';",
      'select $$;$$;',
      'select 1;',
      'create rule r as on insert to t do also (insert into a values (1); insert into b values (2));',
    ]);
  });

  it('keeps SQL-standard function bodies (BEGIN ATOMIC ... END) whole', () => {
    const sql = 'CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END; SELECT 3;';
    assert.deepEqual(statements(sql), ['CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT CASE WHEN true THEN 2 END; END;', 'SELECT 3;']);
  });

  it('does not treat BEGIN; as a function body', () => {
    assert.deepEqual(statements('BEGIN; select 1; COMMIT;'), ['BEGIN;', 'select 1;', 'COMMIT;']);
  });

  it('keeps a final statement without a semicolon and attaches leading comments', () => {
    const result = splitStatements('-- zdm-ignore x\nselect 1;\n\n-- note\nselect 2 -- trailing\n');
    assert.equal(result.statements.length, 2);
    assert.equal(result.statements[1].terminated, false);
    assert.equal(result.statements[0].leadingComments.length, 1);
    assert.equal(result.statements[1].leadingComments.length, 1);
    assert.equal(result.trailingComments.length, 1);
  });

  it('ignores empty statements', () => {
    assert.deepEqual(statements(';; select 1;;'), ['select 1;']);
  });

  it('ends a statement at an unterminated quote and reports it', () => {
    const result = splitStatements("select 1; select 'oops; select 2;");
    assert.equal(result.statements.length, 2);
    assert.equal(result.statements[1].unterminated?.kind, 'string');
  });

  it('makes an unclosed block comment a statement carrying the error, between statements or after one', () => {
    // PostgreSQL rejects the text ("unterminated /* comment"); as a mere comment it would hide the rest.
    const between = splitStatements('create index i on b (x);\n/* todo\ncreate index j on b (y);\n');
    assert.deepEqual(
      between.statements.map((s) => s.unterminated?.kind),
      [undefined, 'block-comment'],
    );
    assert.deepEqual(between.trailingComments, []);
    const after = splitStatements('create index i on b (x) /* todo\n');
    assert.equal(after.statements.length, 1);
    assert.equal(after.statements[0].unterminated?.kind, 'block-comment');
    // A closed comment after an unterminated statement is still a trailing comment.
    assert.equal(splitStatements('select 1 /* fine */').statements[0].unterminated, undefined);
  });
});
