-- SYNTAX TEST "source.sql" "dbmate: -- migrate:up / -- migrate:down at column 0, with options"
-- migrate:up
-- <-- source.sql meta.directive.dbmate.zdm comment.line.double-dash.sql punctuation.definition.comment.sql
-- ^^^^^^^^^^ source.sql meta.directive.dbmate.zdm comment.line.double-dash.sql keyword.control.directive.up.dbmate.zdm
CREATE TABLE users (id bigint);
-- <------ keyword.other.create.sql - meta.directive.dbmate.zdm

-- migrate:down
-- ^^^^^^^^^^^^ comment.line.double-dash.sql keyword.control.directive.down.dbmate.zdm
DROP TABLE users;

--migrate:up transaction:false
-- <-- comment.line.double-dash.sql punctuation.definition.comment.sql
-- ^^^^^^^^ keyword.control.directive.up.dbmate.zdm
--           ^^^^^^^^^^^ comment.line.double-dash.sql variable.parameter.attribute.zdm
--                      ^ comment.line.double-dash.sql punctuation.separator.key-value.zdm
--                       ^^^^^ comment.line.double-dash.sql constant.language.boolean.zdm
CREATE INDEX CONCURRENTLY users_email ON users (email);

--   migrate:down   transaction:false
--   ^^^^^^^^^^^^ keyword.control.directive.down.dbmate.zdm
--                  ^^^^^^^^^^^ variable.parameter.attribute.zdm
--                             ^ punctuation.separator.key-value.zdm
--                              ^^^^^ constant.language.boolean.zdm

-- migrate:up transaction:FALSE
--                        ^^^^^ constant.language.boolean.zdm

-- Not markers: dbmate wants "--" at column 0 and a word boundary after up/down.
  -- migrate:up
-- <-- punctuation.whitespace.comment.leading.sql
--  ^^^^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.dbmate.zdm keyword.control.directive.up.dbmate.zdm
	-- migrate:down
--  ^^^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.dbmate.zdm
-- migrate:upgrade the schema
-- ^^^^^^^^^^^^^^^^^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.dbmate.zdm keyword.control.directive.up.dbmate.zdm
-- migrate: up
-- ^^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.dbmate.zdm
-- Migrate:Up
-- ^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.dbmate.zdm
-- see migrate:up below
--     ^^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.up.dbmate.zdm
SELECT 1; -- migrate:up
--        ^^^^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.dbmate.zdm keyword.control.directive.up.dbmate.zdm
SELECT '-- migrate:up';
--      ^^^^^^^^^^^^^ string.quoted.single.sql - meta.directive.dbmate.zdm comment.line.double-dash.sql
/* a block comment
-- migrate:up
-- <------------ comment.block - meta.directive.dbmate.zdm
*/
INSERT INTO notes (body) VALUES ('line one
-- migrate:down
-- <-------------- string.quoted.single.sql - meta.directive.dbmate.zdm comment.line.double-dash.sql
');
-- <- string.quoted.single.sql punctuation.definition.string.end.sql
SELECT 2;
-- <------ keyword.other.DML.sql - string.quoted.single.sql
