-- SYNTAX TEST "source.sql" "goose: -- +goose <annotation> at column 0, annotations case-insensitive"
-- +goose Up
-- <-- source.sql meta.directive.goose.zdm comment.line.double-dash.sql punctuation.definition.comment.sql
-- ^^^^^^ source.sql meta.directive.goose.zdm comment.line.double-dash.sql keyword.control.directive.goose.zdm
--        ^^ source.sql meta.directive.goose.zdm comment.line.double-dash.sql entity.name.tag.section.goose.zdm
-- +goose NO TRANSACTION
--        ^^^^^^^^^^^^^^ comment.line.double-dash.sql entity.name.tag.transaction.goose.zdm
-- +goose ENVSUB ON
--        ^^^^^^ comment.line.double-dash.sql entity.name.tag.envsub.goose.zdm
--               ^^ comment.line.double-dash.sql constant.language.boolean.goose.zdm
-- +goose envsub off
--        ^^^^^^ entity.name.tag.envsub.goose.zdm
--               ^^^ constant.language.boolean.goose.zdm
-- +goose StatementBegin
-- ^^^^^^ keyword.control.directive.goose.zdm
--        ^^^^^^^^^^^^^^ comment.line.double-dash.sql entity.name.tag.statement-block.goose.zdm
CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at = now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
--        ^^^^^^^^^^^^ entity.name.tag.statement-block.goose.zdm

-- +goose Down
--        ^^^^ entity.name.tag.section.goose.zdm
--+goose down
-- <-- punctuation.definition.comment.sql
--^^^^^^ keyword.control.directive.goose.zdm
--       ^^^^ entity.name.tag.section.goose.zdm
-- +goose statementbegin   
--        ^^^^^^^^^^^^^^ entity.name.tag.statement-block.goose.zdm
DROP FUNCTION touch();
-- +goose StatementEnd

-- goose rejects an annotation it does not know, so it is marked invalid.
-- +goose Sideways
--        ^^^^^^^^ comment.line.double-dash.sql invalid.illegal.unknown-annotation.goose.zdm
-- +goose Up now
--        ^^^^^^ invalid.illegal.unknown-annotation.goose.zdm - entity.name.tag.section.goose.zdm
-- +goose NO  TRANSACTION
--        ^^^^^^^^^^^^^^^ invalid.illegal.unknown-annotation.goose.zdm

-- Not annotations: indented, mid-line, in strings, not "+goose".
  -- +goose Up
--   ^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.goose.zdm keyword.control.directive.goose.zdm
SELECT 1; -- +goose Down
--        ^^^^^^^^^^^^^^ comment.line.double-dash.sql - meta.directive.goose.zdm
SELECT '-- +goose Up';
--      ^^^^^^^^^^^^ string.quoted.single.sql - meta.directive.goose.zdm
-- goose Up
-- ^^^^^^^^ comment.line.double-dash.sql - meta.directive.goose.zdm
-- run it with +goose Up later
--             ^^^^^^^^^ comment.line.double-dash.sql - keyword.control.directive.goose.zdm
